"""`flask backup`: a point-in-time snapshot of Redis, saved as a portable file.

A SCAN of a live database is not a snapshot: a subscriber who changes while it runs can be
saved half before and half after (their record without their index entries, a job without its
alert figures). So the backup asks Redis itself for a snapshot, the way a replica does:
`redis-cli --rdb` makes the server fork and stream an RDB file of one instant (Redis 7 sends
just that file, no replication is set up). The RDB is loaded into a private redis-server on a
loopback port that nobody else writes to, and every key is exported from that frozen copy as
JSON lines (type, absolute expiry, DUMP payload: `Store.dump_all`), with the figures a restore
verifies. The private server and the RDB are then removed (or the RDB kept, with --keep-rdb).

`--live` exports straight from the live database instead (SCAN; not point-in-time), for a
Redis that refuses replication (some managed services: use their own snapshots there).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import redis as redis_lib

from alerts.ops.devstack import redis_binary
from alerts.store import BackupError, Store

#: Seconds to wait for the snapshot and for the private server to load it.
SNAPSHOT_TIMEOUT = 3600


@dataclass(frozen=True)
class BackupReport:
    """What `flask backup` saved."""

    keys: int
    figures: dict[str, int]
    snapshot: bool


def redis_cli() -> str:
    """The system redis-cli, or the one beside the redis-server we would run."""
    return shutil.which("redis-cli") or str(Path(redis_binary()).with_name("redis-cli"))


def _cli_target(url: str) -> tuple[list[str], dict[str, str]]:
    """redis-cli's arguments for a redis:// or rediss:// URL; the password goes in the
    environment (REDISCLI_AUTH), never on a command line other users can read."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise BackupError(
            f"a snapshot needs a redis:// or rediss:// URL, not {parts.scheme}://; use --live"
        )
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379)]
    if parts.scheme == "rediss":
        args.append("--tls")
    if parts.username:
        args += ["--user", unquote(parts.username)]
    env = {k: v for k, v in os.environ.items() if k != "REDISCLI_AUTH"}
    if parts.password:
        env["REDISCLI_AUTH"] = unquote(parts.password)
    return args, env


def take_snapshot(url: str, rdb: Path) -> None:
    """Have the Redis at url stream a point-in-time RDB of all its data into rdb."""
    args, env = _cli_target(url)
    done = subprocess.run(
        [redis_cli(), *args, "--no-auth-warning", "--rdb", str(rdb)],
        capture_output=True,
        text=True,
        timeout=SNAPSHOT_TIMEOUT,
        env=env,
    )
    if done.returncode != 0 or not rdb.exists() or rdb.stat().st_size == 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(
            "Redis did not send a snapshot (redis-cli --rdb): "
            f"{detail[-1] if detail else 'no output'}; use --live for a plain SCAN"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _quoted(value: object) -> str:
    """A value for a redis.conf line, quoted (paths may hold spaces)."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def frozen_copy(rdb: Path, db: int) -> Iterator[str]:
    """A private redis-server serving rdb on loopback, read by us alone; yields its URL."""
    port = _free_port()
    # A password of its own: nobody else on this machine reads the copy while we export it.
    password = secrets.token_hex(16)
    # Settings on stdin (`redis-server -`), not on the command line where `ps` shows them.
    settings = {
        "port": port,
        "bind": "127.0.0.1",
        "dir": _quoted(rdb.parent),
        "dbfilename": _quoted(rdb.name),
        "requirepass": password,
        "appendonly": "no",
        "save": '""',
        "daemonize": "no",
        "loglevel": "warning",
        "logfile": _quoted(rdb.parent / "frozen.log"),
    }
    proc = subprocess.Popen(
        [redis_binary(), "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    proc.stdin.write("".join(f"{k} {v}\n" for k, v in settings.items()).encode())
    proc.stdin.close()
    client = redis_lib.Redis(port=port, password=password)
    try:
        deadline = time.monotonic() + SNAPSHOT_TIMEOUT
        while True:
            if proc.poll() is not None:
                logfile = rdb.parent / "frozen.log"
                log = logfile.read_text(errors="replace").strip() if logfile.exists() else ""
                raise BackupError(
                    f"the local redis-server ({redis_binary()}) could not load the snapshot: "
                    f"{log.splitlines()[-1] if log else 'it exited'} (it must be as new as the "
                    "Redis backed up)"
                )
            try:
                client.ping()
                break
            except (redis_lib.ConnectionError, redis_lib.BusyLoadingError):
                if time.monotonic() > deadline:
                    raise BackupError("the snapshot did not load in time") from None
                time.sleep(0.05)
        yield f"redis://:{password}@127.0.0.1:{port}/{db}"
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def backup(
    store: Store,
    url: str,
    path: Path,
    *,
    include_queues: bool = False,
    live: bool = False,
    keep_rdb: bool = False,
) -> BackupReport:
    """Save the Redis at url to path: from a snapshot (default) or, with live, by SCAN."""
    try:
        info = store.redis.info("server")
    except redis_lib.RedisError as exc:
        raise BackupError(f"Redis does not answer: {exc}") from None
    source = {"redis_version": info.get("redis_version", ""), "host": urlsplit(url).hostname}
    if live:
        keys = store.dump_all(path, include_queues=include_queues, source=source)
        return BackupReport(keys=keys, figures=_figures_of(path), snapshot=False)
    db = int((urlsplit(url).path or "/0").lstrip("/") or 0)
    with tempfile.TemporaryDirectory(prefix="baara-backup-", dir=path.parent) as folder:
        rdb = Path(folder) / "snapshot.rdb"
        take_snapshot(url, rdb)
        with frozen_copy(rdb, db) as frozen_url:
            frozen = Store.from_url(frozen_url)
            try:
                keys = frozen.dump_all(
                    path, include_queues=include_queues, snapshot=True, source=source
                )
            finally:
                frozen.redis.close()
        if keep_rdb:
            shutil.copyfile(rdb, path.with_name(path.name + ".rdb"))
    return BackupReport(keys=keys, figures=_figures_of(path), snapshot=True)


def _figures_of(path: Path) -> dict[str, int]:
    header = Store.backup_header(path)
    return dict(header.get("figures") or {})
