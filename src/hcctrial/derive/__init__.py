"""hcctrial.derive."""
