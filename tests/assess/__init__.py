"""Tests of hcctrial.assess."""
