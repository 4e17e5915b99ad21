"""hcctrial.web."""
