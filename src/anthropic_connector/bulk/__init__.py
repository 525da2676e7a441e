"""Bulk runs: one operation over every line of a JSON Lines file, results to a JSON Lines file.

``Connector.run_many`` / ``arun_many`` and ``anthropic-connector run-many`` (cli.py) come
here. The input is read a line at a time (inputs.py) and every line checked before anything
is sent (job.py); results go out in input order as they complete, and a re-run with the same
output keeps what is done (ledger.py). The lines are sent one request each through the
runtime's own ``arun`` (direct.py, many.py), or for create_message through Message Batches
(batches.py). Memory is bounded by the concurrency (or by one batch), never by the file.

Nothing is imported here, so that registering the subcommand costs a one-shot ``run`` nothing
(the line limit its --help names is kept here for that).
"""

MAX_LINE_BYTES = 32 * 1024 * 1024
"""The Messages API answers 413 above 32 MB: no valid input line is longer."""
