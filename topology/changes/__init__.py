"""Change requests with four-eyes approval of the exact per-host configuration diff, and revisions."""
