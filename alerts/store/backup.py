"""Backups: every key dumped with its expiry, restored idempotently, verified."""

from __future__ import annotations

import base64
import gzip
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import redis as redis_lib

import alerts.store.keys as keys
from alerts.store.subscribers import SubscribersStore, index_keys

BACKUP_FORMAT = "baara-backup"
#: Keys a restore sends per round trip.
RESTORE_BATCH = 500


class BackupError(RuntimeError):
    """A backup file cannot be restored here; the message says why."""


@dataclass
class RestoreReport:
    """What a restore did and what it verified afterwards."""

    header: dict
    again: bool = False  # the same backup was already restored: only verified
    merged: bool = False  # forced into a database that held other data: figures may differ
    restored: int = 0
    present: int = 0
    expired: int = 0
    index_entries: int = 0
    expected: int = 0
    verified: int = 0
    missing: list[str] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every key of the backup still due is present, and the records match its figures."""
        want = self.header.get("figures") or {}
        same = all(
            self.figures.get(k) == want[k]
            for k in ("subscribers", "active", "jobs", "relays")
            if k in want
        )
        return not self.missing and (same or self.merged or not self.header.get("snapshot"))


class BackupStore(SubscribersStore):
    """Backups: part of Store."""

    def _binary(self) -> redis_lib.Redis:
        # DUMP payloads are binary: they need a client that does not decode replies.
        pool = self.redis.connection_pool
        kwargs = {**pool.connection_kwargs, "decode_responses": False}
        return redis_lib.Redis(
            connection_pool=redis_lib.ConnectionPool(
                connection_class=pool.connection_class, **kwargs
            )
        )

    def figures(self) -> dict[str, int]:
        """What a backup and a restore count and compare: keys, subscribers, jobs, relays."""
        subscribers = active = 0
        for sub in self.iter_subscribers():
            subscribers += 1
            active += sub.active
        pipe = self.redis.pipeline(transaction=False)
        pipe.dbsize()
        pipe.zcard(keys.JOBS_ALL)
        pipe.scard(keys.RELAYS)
        total, jobs, relays = pipe.execute()
        return {
            "keys": total,
            "subscribers": subscribers,
            "active": active,
            "jobs": jobs,
            keys.RELAYS: relays,
        }

    def rebuild_indexes(self) -> int:
        """Drop every subscription index and rebuild them from the subscriber records; the
        number of index entries written. Only while nothing else writes (a restore)."""
        pipe = self.redis.pipeline(transaction=False)
        for n, key in enumerate(self.redis.scan_iter(match=keys.INDEX_PATTERN, count=1000), 1):
            pipe.unlink(key)
            if n % 1000 == 0:
                pipe.execute()
        pipe.execute()
        entries = 0
        for n, sub in enumerate(self.iter_subscribers(), 1):
            for key in index_keys(sub):
                pipe.sadd(key, sub.phone)
                entries += 1
            if n % 1000 == 0:
                pipe.execute()
        pipe.execute()
        return entries

    def dump_all(
        self,
        path: str | Path,
        *,
        include_queues: bool = False,
        snapshot: bool = False,
        source: Mapping[str, object] | None = None,
    ) -> int:
        """Write every Baara key (type, expiry, DUMP payload) to a JSON-lines file; the count.

        The header records the figures() of what is dumped, so a restore can verify them;
        `snapshot` says the database is a frozen point-in-time copy (alerts/backup.py), and
        `source` describes the Redis it came from. RQ's keys (rq:*) are left out unless
        include_queues: they are transient, pickled, and rebuilt by the workers (README).
        """
        path = Path(path)
        raw = self._binary()
        info = raw.info("server")
        tmp = path.with_name(path.name + ".partial")
        count = 0
        opener = gzip.open if path.suffix == ".gz" else open
        # Personal data: readable by the owner only, from the first byte.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        with opener(tmp, "wt", encoding="utf-8") as out:
            header = {
                "format": BACKUP_FORMAT,
                "version": 2,
                "id": secrets.token_hex(8),
                "created_at": self.now(),
                "redis_version": info.get("redis_version", ""),
                "include_queues": include_queues,
                "snapshot": snapshot,
                "source": dict(source or {}),
                "figures": self.figures(),
            }
            out.write(json.dumps(header) + "\n")
            batch: list[bytes] = []
            for key in raw.scan_iter(count=1000):
                if key == keys.RESTORE_STATE.encode() or (
                    not include_queues and key.startswith(keys.RQ_PREFIX.encode())
                ):
                    continue
                batch.append(key)
                if len(batch) >= 500:
                    count += self._dump_batch(raw, batch, out)
                    batch = []
            if batch:
                count += self._dump_batch(raw, batch, out)
        tmp.replace(path)
        return count

    def _dump_batch(self, raw: redis_lib.Redis, names: list[bytes], out) -> int:
        pipe = raw.pipeline(transaction=False)
        for key in names:
            pipe.type(key)
            pipe.pttl(key)
            pipe.dump(key)
        replies = pipe.execute()
        now_ms = int(self.clock() * 1000)
        written = 0
        for i, key in enumerate(names):
            kind, pttl, payload = replies[3 * i : 3 * i + 3]
            if payload is None:  # expired or deleted between SCAN and DUMP
                continue
            line = {
                "k": base64.b64encode(key).decode(),
                "t": kind.decode() if isinstance(kind, bytes) else kind,
                # An absolute expiry, so a key restored later keeps its deadline.
                "x": now_ms + pttl if pttl and pttl > 0 else None,
                "d": base64.b64encode(payload).decode(),
            }
            out.write(json.dumps(line) + "\n")
            written += 1
        return written

    def restore_all(self, path: str | Path, *, force: bool = False) -> RestoreReport:
        """Load a dump_all() file, idempotently; rebuild the indexes; verify and count.

        Into an empty database, or to finish a restore of the same file that stopped halfway
        (restore:state says so): a key already there is kept and counted, never an error, so
        a re-run picks up where the last one stopped. A restore that finished answers a
        re-run with its verification only. Anything else non-empty is refused unless force,
        which replaces the keys the backup holds.
        """
        path = Path(path)
        raw = self._binary()
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as src:
            header = self._backup_header(src, path)
            state = self.redis.hgetall(keys.RESTORE_STATE)
            same = state.get("backup") == header["id"]
            if same and state.get("state") == "done" and not force:
                return self._verify(path, header, RestoreReport(header=header, again=True))
            if not force and not same and self.redis.dbsize():
                raise BackupError(
                    f"the target Redis holds {self.redis.dbsize()} keys; restore refuses to mix "
                    "data (use force to replace the keys the backup holds)"
                )
            report = RestoreReport(header=header, merged=not same and bool(self.redis.dbsize()))
            self.redis.hset(
                keys.RESTORE_STATE,
                mapping={"backup": header["id"], "state": "running", "at": self.now()},
            )
            pipe = raw.pipeline(transaction=False)
            pending: list[bytes] = []
            for number, text in enumerate(src, 2):
                if not text.strip():
                    continue
                key, expiry, payload = self._backup_line(text, path, number)
                if expiry and expiry <= int(self.clock() * 1000):
                    report.expired += 1  # it would have expired by now
                    continue
                pipe.restore(key, expiry or 0, payload, replace=force, absttl=bool(expiry))
                pending.append(key)
                if len(pending) >= RESTORE_BATCH:
                    self._restore_batch(pipe, pending, report)
                    pending = []
            self._restore_batch(pipe, pending, report)
        report.index_entries = self.rebuild_indexes()
        self.redis.hset(keys.RESTORE_STATE, mapping={"state": "done", "at": self.now()})
        return self._verify(path, header, report)

    @classmethod
    def backup_header(cls, path: str | Path) -> dict:
        """The header line of a dump_all() file (format, id, figures, ...)."""
        path = Path(path)
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as src:
            return cls._backup_header(src, path)

    @staticmethod
    def _backup_header(src, path: Path) -> dict:
        try:
            header = json.loads(src.readline() or "null")
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("format") != BACKUP_FORMAT:
            raise BackupError(f"{path} is not a Baara backup")
        # Version 1 files had no id: the file's creation time stands in for one.
        header.setdefault("id", f"v1-{header.get('created_at', 0)}")
        return header

    @staticmethod
    def _backup_line(text: str, path: Path, number: int) -> tuple[bytes, int | None, bytes]:
        try:
            line = json.loads(text)
            return (
                base64.b64decode(line["k"]),
                int(line["x"]) if line.get("x") else None,
                base64.b64decode(line["d"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{path}:{number}: unreadable line ({exc})") from None

    @staticmethod
    def _restore_batch(pipe, names: list[bytes], report: RestoreReport) -> None:
        if not names:
            return
        for key, result in zip(names, pipe.execute(raise_on_error=False), strict=True):
            if not isinstance(result, Exception):
                report.restored += 1
            elif str(result).startswith("BUSYKEY"):
                report.present += 1  # restored by an earlier run, or repeated in the file
            else:
                raise BackupError(f"key {key!r}: {result}")

    def _verify(self, path: Path, header: dict, report: RestoreReport) -> RestoreReport:
        """Check that every key of the backup still due is here, and compare the figures."""
        raw = self._binary()
        opener = gzip.open if path.suffix == ".gz" else open
        now_ms = int(self.clock() * 1000)
        with opener(path, "rt", encoding="utf-8") as src:
            src.readline()
            due: dict[bytes, None] = {}  # a key repeated in the file counts once
            for number, text in enumerate(src, 2):
                if text.strip():
                    key, expiry, _ = self._backup_line(text, path, number)
                    if not expiry or expiry > now_ms + 1000:
                        due[key] = None
        wanted = list(due)
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            pipe = raw.pipeline(transaction=False)
            for key in chunk:
                pipe.exists(key)
            found = pipe.execute()
            report.verified += sum(found)
            report.missing.extend(
                k.decode(errors="replace") for k, f in zip(chunk, found, strict=True) if not f
            )
        report.expected = len(wanted)
        report.figures = self.figures()
        return report
