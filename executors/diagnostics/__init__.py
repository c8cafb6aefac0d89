"""Live diagnostics: the catalogue of troubleshooting commands, their safe parameters, parsers and drift.

Everything here is pure (no database, no I/O): the catalogue says what to run and builds the argv, the
parameter checks refuse anything unsafe, the parsers turn a command's text into typed records, and drift
compares the state those records describe with what the deployed design expects. Running the commands on
hosts (jobs, streaming) is the executors' job around this package.
"""
