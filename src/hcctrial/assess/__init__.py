"""hcctrial.assess."""
