"""hcctrial.protocol."""
