"""Live diagnostics: the catalogue of troubleshooting commands, their safe parameters, parsers and drift.

Most of it is pure (no database, no I/O): the catalogue says what to run and builds the argv, the
parameter checks refuse anything unsafe, the parsers turn a command's text into typed records, and drift
compares the state those records describe with what the deployed design expects. Running the commands on
hosts is done by the two modules that are not pure: :mod:`.runner` (SSH: a command streamed into a job's log,
stopped with its whole session on the host; the drift diagnostics of every host at once) and :mod:`.services`
(starting diagnostic and drift-check jobs, running them in the worker, keeping their records and pcap files).
"""
