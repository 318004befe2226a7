"""The whole of Baara on loopback, for browser tests: the web app on a real HTTP server, an RQ
worker process, and the app's own simulated AT gateway (AT_API_URL points back at the app).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import ROOT, free_port

WORKER_START_TIMEOUT = 20


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        # Every poll of the progress bar would otherwise fill the test output.
        pass


class LiveStack:
    """Web server (thread) + worker (process) against one Redis URL."""

    def __init__(self, redis_url: str, log_dir: Path) -> None:
        self.redis_url = redis_url
        self.port = free_port()
        self.log_dir = log_dir
        self.server: Any = None
        self.thread: threading.Thread | None = None
        self.worker: subprocess.Popen | None = None
        self.app: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> dict[str, str]:
        """The environment both web and worker run with."""
        return {
            "BAARA_ENV": "development",
            "REDIS_URL": self.redis_url,
            "PORT": str(self.port),
            "AT_USERNAME": "sandbox",
            "AT_API_KEY": "simulated",
            "AT_API_URL": f"{self.url}/simulator/at/version1",
            "AT_SENDER_ID": "BAARA",
            # Tests must not depend on the time of day they run at.
            "QUIET_HOURS": "",
            "WEBHOOK_TOKEN": "",
            "SIMULATOR": "1",
            "SECRET_KEY": "browser-test-secret",
            "API_TOKEN": "browser-test-token",
        }

    def start(self) -> None:
        """Start the web server and the worker; return once the worker has registered."""
        from app import create_app

        self.app = create_app(dict(self.settings()))
        self.server = make_server(
            "127.0.0.1", self.port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        env = {**os.environ, **self.settings()}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / "worker.log").open("w")
        self.worker = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py"), "--name", f"browser-{self.port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._wait_for_worker()

    def _wait_for_worker(self) -> None:
        import redis as redis_lib
        from rq import Worker

        client = redis_lib.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.worker is not None
            if self.worker.poll() is not None:
                raise RuntimeError(f"worker exited; see {self.log_dir / 'worker.log'}")
            if any(w.name == f"browser-{self.port}" for w in Worker.all(connection=client)):
                return
            time.sleep(0.1)
        raise RuntimeError("worker did not register in time")

    def stop(self) -> None:
        """Stop the worker, then the web server."""
        if self.worker is not None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()
            self.worker = None
        if self.server is not None:
            self.server.shutdown()
            self.server = None
