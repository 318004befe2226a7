"""gunicorn's access and error logs, scrubbed; one JSON object per line in production.

gunicorn.conf.py names `AccessLogger` as gunicorn's `logger_class`. gunicorn writes its access
line itself, outside Flask's logging and before our record filter could see the URL's parts, so
the request line, path, query, referer and headers are scrubbed here (alerts.ops.logs.scrub: masked
numbers in every encoding, `key=` and tokens redacted) before any format sees them.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger

from alerts.ops.logs import JsonFormatter, scrub
from config.settings import DEFAULTS

#: Atoms that carry what the caller sent (URL, referer); headers ({…}i) are scrubbed too.
_CALLER_ATOMS = ("r", "U", "q", "f", "a", "u")


def production() -> bool:
    """True when this process runs with BAARA_ENV=production (JSON lines)."""
    # gunicorn's own process reads the one setting it needs, before any app (and its checks).
    return os.environ.get("BAARA_ENV", DEFAULTS["BAARA_ENV"]) == "production"


class AccessLogger(Logger):
    """gunicorn's Logger with scrubbed atoms; JSON lines for both logs in production."""

    def setup(self, cfg: Any) -> None:
        """gunicorn's handlers, given our JSON formatter in production."""
        super().setup(cfg)
        if production():
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(JsonFormatter())

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        """gunicorn's atoms with every caller-supplied text scrubbed."""
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if isinstance(value, str) and (name in _CALLER_ATOMS or name.endswith(("}i", "}e"))):
                atoms[name] = scrub(value)
        for header in ("{authorization}i", "{cookie}i", "{x-csrftoken}i", "{apikey}i"):
            if header in atoms:
                atoms[header] = "[redacted]"
        return atoms

    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        """One access line: gunicorn's format in development, a JSON object in production."""
        if not production():
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        path = atoms["U"] + (f"?{atoms['q']}" if atoms["q"] else "")
        self.access_log.info(
            "%s %s %s",
            atoms["m"],
            path,
            atoms["s"],
            extra={
                "remote": atoms["h"],
                "method": atoms["m"],
                "path": path,
                "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
                "bytes": atoms["B"] or 0,
                "duration_ms": round(atoms["D"] / 1000, 1),
                "referer": atoms["f"],
                "user_agent": atoms["a"],
            },
        )
