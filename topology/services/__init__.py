"""Service functions: every write of the topology room goes through one of these."""
