"""Tests of hcctrial.clinical."""
