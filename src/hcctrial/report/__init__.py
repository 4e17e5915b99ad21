"""hcctrial.report."""
