"""Tests of hcctrial.cli."""
