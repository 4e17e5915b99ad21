"""Thin command-line interface over the engines (typer). See ``hcctrial.cli.main``."""
