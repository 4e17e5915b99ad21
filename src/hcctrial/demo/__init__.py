"""hcctrial.demo."""
