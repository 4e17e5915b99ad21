"""hcctrial.store."""
