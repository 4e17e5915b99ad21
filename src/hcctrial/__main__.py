"""``python -m hcctrial`` runs the command line."""

from hcctrial.cli.main import run

run()
