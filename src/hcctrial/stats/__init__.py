"""The statistics engine: pure numpy/scipy, knows nothing of the database or the protocol."""
