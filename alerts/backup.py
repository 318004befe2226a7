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

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis as redis_lib

from alerts.devstack import redis_binary
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


def take_snapshot(url: str, rdb: Path) -> None:
    """Have the Redis at url stream a point-in-time RDB of all its data into rdb."""
    done = subprocess.run(
        [redis_cli(), "-u", url, "--no-auth-warning", "--rdb", str(rdb)],
        capture_output=True, text=True, timeout=SNAPSHOT_TIMEOUT,
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


@contextmanager
def frozen_copy(rdb: Path, db: int) -> Iterator[str]:
    """A private redis-server serving rdb on loopback, read by us alone; yields its URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(rdb.parent),
         "--dbfilename", rdb.name, "--appendonly", "no", "--save", "", "--daemonize", "no",
         "--loglevel", "warning", "--logfile", str(rdb.parent / "frozen.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = redis_lib.Redis(port=port)
    try:
        deadline = time.monotonic() + SNAPSHOT_TIMEOUT
        while True:
            if proc.poll() is not None:
                log = (rdb.parent / "frozen.log").read_text(errors="replace").strip()
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
        yield f"redis://127.0.0.1:{port}/{db}"
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def backup(
    store: Store, url: str, path: Path, *, include_queues: bool = False, live: bool = False,
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
                keys = frozen.dump_all(path, include_queues=include_queues, snapshot=True,
                                       source=source)
            finally:
                frozen.redis.close()
        if keep_rdb:
            shutil.copyfile(rdb, path.with_name(path.name + ".rdb"))
    return BackupReport(keys=keys, figures=_figures_of(path), snapshot=True)


def _figures_of(path: Path) -> dict[str, int]:
    header = Store.backup_header(path)
    return dict(header.get("figures") or {})
