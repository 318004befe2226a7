"""A loopback Africa's Talking server on 127.0.0.1, for tests and benchmarks.

In a test:  `with LoopbackAT() as at: Gateway("baara", "key", api_url=at.url)...`
Standalone: `python tests/loopback_at.py --port 8001 --delay 0.05`
(GET /_loopback/stats and POST /_loopback/clear let another process watch it).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `alerts` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask, Response, jsonify, request  # noqa: E402
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server  # noqa: E402

from alerts.gateways.simulator import SimulatedAT, to_response  # noqa: E402


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request: benchmarks send thousands."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class LoopbackAT:
    """A SimulatedAT served over real HTTP in a daemon thread, recording in memory."""

    def __init__(
        self,
        port: int = 0,
        *,
        api_key: str | None = None,
        blacklist: Iterable[str] = frozenset(),
        fail_every: int = 0,
        delay: float = 0.0,
        host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self.port = port
        self.messages: list[dict] = []
        #: Raw requests as received: {"form": {...}, "headers": {...}, "arrived": epoch s}.
        self.received: list[dict] = []
        #: (http_status, content_type, body) answered next, in order, instead of the simulator.
        self.canned: deque[tuple[int, str, str]] = deque()
        self._changed = threading.Condition()
        self._requests = 0
        self.sim = SimulatedAT(
            self._record,
            api_key=api_key,
            blacklist=blacklist,
            fail_every=fail_every,
            delay=delay,
        )
        self.app = self._make_app()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # Settings forwarded to the simulator so a test can change them while it runs.
    @property
    def fail_every(self) -> int:
        """Every Nth request answers HTTP 500 (0: never)."""
        return self.sim.fail_every

    @fail_every.setter
    def fail_every(self, value: int) -> None:
        self.sim.fail_every = value

    @property
    def delay(self) -> float:
        """Seconds to wait before answering."""
        return self.sim.delay

    @delay.setter
    def delay(self, value: float) -> None:
        self.sim.delay = value

    @property
    def blacklist(self) -> set[str]:
        """Numbers that answer 406 UserInBlacklist."""
        return self.sim.blacklist

    @blacklist.setter
    def blacklist(self, value: Iterable[str]) -> None:
        self.sim.blacklist = set(value)

    @property
    def api_key(self) -> str | None:
        """The apiKey header required (None: any)."""
        return self.sim.api_key

    @api_key.setter
    def api_key(self, value: str | None) -> None:
        self.sim.api_key = value

    @property
    def requests(self) -> int:
        """HTTP requests received on the messaging endpoint, canned answers included."""
        with self._changed:
            return self._requests

    @property
    def url(self) -> str:
        """Base URL for the SDK (`Gateway(api_url=...)`); it posts to `<url>/messaging`."""
        return f"http://{self.host}:{self.port}/version1"

    def _record(self, message: dict) -> None:
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()

    def messages_to(self, phone: str) -> list[dict]:
        """Recorded messages sent to one number."""
        with self._changed:
            return [m for m in self.messages if m["to"] == phone]

    def clear(self) -> None:
        """Forget recorded messages, received requests, canned answers and the counter."""
        with self._changed:
            self.messages.clear()
            self.received.clear()
            self.canned.clear()
            self._requests = 0

    def wait_for(self, count: int, timeout: float = 10) -> bool:
        """Wait until at least `count` messages are recorded; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.messages) >= count, timeout)

    def answer(self, http_status: int, content_type: str, body: str) -> None:
        """Queue one canned answer for the next request."""
        with self._changed:
            self.canned.append((http_status, content_type, body))

    def _make_app(self) -> Flask:
        app = Flask("loopback_at")

        @app.post("/version1/messaging")
        def messaging() -> Response:
            with self._changed:
                self._requests += 1
                # "arrived": when AT would count the request against a TPS limit.
                self.received.append(
                    {
                        "form": request.form.to_dict(),
                        "headers": dict(request.headers),
                        "arrived": time.time(),
                    }
                )
                canned = self.canned.popleft() if self.canned else None
            if canned is None:
                return to_response(*self.sim.handle(request.form, dict(request.headers)))
            if self.delay > 0:
                time.sleep(self.delay)
            status, content_type, body = canned
            return Response(body, status=status, content_type=content_type)

        @app.get("/_loopback/stats")
        def stats() -> Response:
            with self._changed:
                return jsonify(requests=self._requests, messages=len(self.messages))

        @app.post("/_loopback/clear")
        def clear() -> Response:
            self.clear()
            return jsonify(ok=True)

        return app

    def start(self) -> LoopbackAT:
        """Listen and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.port = self._server.server_port
        # A short poll interval: stop() waits up to one interval, and tests stop it often.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"loopback-at-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> LoopbackAT:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Run a loopback AT server until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--fail-every", type=int, default=0, help="every Nth request: HTTP 500")
    parser.add_argument("--api-key", default=None, help="apiKey header to require")
    parser.add_argument("--blacklist", default="", help="comma-separated numbers: 406")
    args = parser.parse_args(argv)
    server = LoopbackAT(
        args.port,
        host=args.host,
        api_key=args.api_key,
        fail_every=args.fail_every,
        delay=args.delay,
        blacklist=[n for n in args.blacklist.split(",") if n],
    )
    server.start()
    print(f"loopback AT listening on {server.url}", flush=True)
    try:
        while server._thread is not None and server._thread.is_alive():
            server._thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
