"""Deploy: push a host's bundle over SSH with a dead-man rollback, and report truthful per-host outcomes."""
