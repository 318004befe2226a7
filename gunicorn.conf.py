"""gunicorn settings, read from the repository root: `gunicorn app:app` finds this file itself.

Only what the command line does not say (`--access-logfile -` turns the access log on). Once a
worker has loaded the app, the objects it holds for its whole life (reference data, catalogs,
fuzzy-matching tables: some 60,000) are taken out of the garbage collector's sight with
gc.freeze(): a full collection no longer walks them in the middle of a request, which took about
40 ms on a small VM and was the p99 of a USSD screen.
"""

import gc

# Access and error lines scrubbed (numbers masked in every encoding, `key=` and tokens redacted);
# JSON lines when BAARA_ENV=production. See alerts/ops/access_log.py.
logger_class = "alerts.ops.access_log.AccessLogger"


def post_worker_init(worker):
    """Freeze what the freshly loaded app holds (see the module docstring)."""
    gc.freeze()
