"""Job postings: ids, codes, records, the open and scheduled lists, audience counts."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import cast

from redis.typing import EncodableT, FieldT

import alerts.store.keys as keys
from alerts.domain.subscribers import Language, MatchPlace
from alerts.store.subscribers import SubscribersStore


def _is_job_id(job_id: object) -> bool:
    """True for what job:seq hands out: ASCII digits, no sign, no leading zero."""
    text = str(job_id)
    return text.isascii() and text.isdigit() and text[0] != "0" and len(text) <= 18


class JobsStore(SubscribersStore):
    """Job postings: part of Store."""

    def next_job_id(self) -> str:
        """A new job id: '1', '2', ... (short, so admins can type it)."""
        return str(self.redis.incr(keys.JOB_SEQ))

    def claim_job_code(self, code: str, job_id: str, expire_at: int) -> bool:
        """Reserve a job code for this job until expire_at; False when another job holds it."""
        return bool(self.redis.set(keys.job_code(code), job_id, nx=True, exat=expire_at))

    def job_id_for_code(self, code: str) -> str | None:
        """The job a code belongs to, or None."""
        return cast(str | None, self.redis.get(keys.job_code(code)))

    def save_job(self, job_id: str, fields: dict[str, str], created_at: int) -> None:
        """Write a job record and list it."""
        pipe = self.redis.pipeline()
        mapping: dict[FieldT, EncodableT] = {k: v for k, v in fields.items()}
        pipe.hset(keys.job(job_id), mapping=mapping)
        pipe.zadd(keys.JOBS_ALL, {job_id: created_at})
        pipe.execute()

    def load_jobs(self, job_ids: Sequence[str]) -> list[dict[str, str] | None]:
        """Job records, None for unknown ids (one round trip)."""
        # Only a job id (digits from job:seq) names a job hash: "seq" or "open" would name
        # another key of another type (WRONGTYPE), so junk ids are unknown without asking.
        real = [job_id for job_id in job_ids if _is_job_id(job_id)]
        pipe = self.redis.pipeline(transaction=False)
        for job_id in real:
            pipe.hgetall(keys.job(job_id))
        found = dict(zip(real, pipe.execute() if real else [], strict=True))
        return [found.get(job_id) or None for job_id in job_ids]

    def update_job(
        self, job_id: str, fields: dict[str, str], *, from_status: Iterable[str] | None = None
    ) -> str | None:
        """Change a job's fields, only while its status is one of from_status (None: any).

        Returns the status it had, or None when the job is missing or in another status.
        """
        if not _is_job_id(job_id):
            return None
        allowed = list(from_status) if from_status is not None else []
        flat = [x for kv in fields.items() for x in kv]
        old = self.script("update_job")(
            keys=[keys.job(job_id)], args=[len(allowed), *allowed, *flat]
        )
        return old or None

    def job_ids(self, offset: int = 0, limit: int = 50) -> list[str]:
        """Job ids, newest first."""
        return cast(list[str], self.redis.zrevrange(keys.JOBS_ALL, offset, offset + limit - 1))

    def count_jobs(self) -> int:
        """How many jobs exist."""
        return int(self.redis.zcard(keys.JOBS_ALL))

    def set_job_open(self, job_id: str, published_at: int | None) -> None:
        """List a published job among the open ones (None: take it off the list)."""
        if published_at is None:
            self.redis.zrem(keys.JOBS_OPEN, job_id)
        else:
            self.redis.zadd(keys.JOBS_OPEN, {job_id: published_at})

    def open_job_ids(self) -> list[str]:
        """Published jobs, newest first (some may have passed their deadline)."""
        return cast(list[str], self.redis.zrevrange(keys.JOBS_OPEN, 0, -1))

    def set_job_scheduled(self, job_id: str, at: int | None) -> None:
        """Remember a job waiting for the end of quiet hours (None: forget it)."""
        if at is None:
            self.redis.zrem(keys.JOBS_SCHEDULED, job_id)
        else:
            self.redis.zadd(keys.JOBS_SCHEDULED, {job_id: at})

    def scheduled_job_ids(self, due_before: int) -> list[str]:
        """Jobs whose publication was due before this time."""
        return cast(list[str], self.redis.zrangebyscore(keys.JOBS_SCHEDULED, "-inf", due_before))

    def count_matches(self, job_id: str, places: Sequence[MatchPlace], category: str) -> int:
        """How many active subscribers match a posting right now (server side, no transfer)."""
        counts = self.match_into(lambda lang: keys.fan(job_id, f"n:{lang.value}"), places, category)
        self.redis.delete(*(keys.fan(job_id, f"n:{lang.value}") for lang in Language))
        return sum(counts.values())

    def count_audience(self, places: Sequence[MatchPlace], category: str) -> dict[Language, int]:
        """How many active subscribers a draft posting would reach, by language (no transfer)."""
        token = secrets.token_hex(8)

        def dest(lang: Language) -> str:
            return keys.audience(token, lang)

        counts = self.match_into(dest, places, category)
        self.redis.delete(*(dest(lang) for lang in Language))
        return counts
