"""Alert fan-out: the audience snapshot, batches, leases, outcomes, delivery reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from redis.typing import EncodableT, FieldT

import alerts.store.keys as keys
from alerts.domain.outcomes import AlertOutcome, AlertRecord
from alerts.domain.subscribers import Language, MatchPlace
from alerts.store.subscribers import SubscribersStore

#: Alerts remembered per number for the admin's "did they get it?" (the newest job ids).
ALERT_HISTORY_KEEP = 50
_OUTCOMES = {o.value for o in AlertOutcome}
_NO_TAB_NL = str.maketrans("", "", "\t\n")


class FanoutStore(SubscribersStore):
    """Alert fan-out: part of Store."""

    def snapshot_audience(
        self,
        job_id: str,
        places: Sequence[MatchPlace],
        category: str,
        texts: dict[str, tuple[str, int]],
        ttl: int,
    ) -> int:
        """Freeze who a plan is for: the unions of the index sets, per language, in one MULTI.

        Inside a transaction no language switch (itself a MULTI) can interleave, so each
        person is in exactly one union. Also stores the texts. Returns how many people.
        """
        pipe = self.redis.pipeline()
        for lang in Language:
            pipe.sunionstore(
                keys.fan(job_id, f"m:{lang.value}"), self.match_keys(places, category, lang)
            )
            pipe.expire(keys.fan(job_id, f"m:{lang.value}"), ttl)
        mapping: dict[FieldT, EncodableT] = {"cut": 1}
        for code, (text, segments) in texts.items():
            mapping[f"text:{code}"] = text
            mapping[f"seg:{code}"] = segments
        pipe.hset(keys.fan(job_id, "plan"), mapping=mapping)
        pipe.expire(keys.fan(job_id, "plan"), ttl)
        return sum(pipe.execute()[0 : 2 * len(Language) : 2])

    def cut_batches(self, job_id: str, size: int, ttl: int, limit: int) -> tuple[list[int], bool]:
        """Move up to `limit` batches of `size` people from the audience into batch keys.

        Atomic per call, so a planner that dies half-way loses nobody and doubles nobody: the
        next one carries on from what is left. People this job already reached are dropped.
        Returns the new batch numbers and True once the audience is used up (plan complete).
        """
        first, end, finished = self.script("cut_batches")(
            keys=[
                *(keys.fan(job_id, f"m:{lang.value}") for lang in Language),
                keys.fan(job_id, "st"),
                keys.fan(job_id, "todo"),
                keys.fan(job_id, "plan"),
                keys.fan(job_id, "stats"),
            ],
            args=[size, ttl, limit, keys.fan(job_id, "b:"), *(lang.value for lang in Language)],
        )
        return list(range(int(first), int(end))), bool(finished)

    def batch_targets(self, job_id: str, n: int) -> tuple[str, list[str], str] | None:
        """A batch's language, phones, and per phone 'h' (has an outcome), 'a' (active) or 'i'.

        One round trip for what send_batch must know right before sending; None once the
        batch is finished.
        """
        reply = self.script("batch_targets")(
            keys=[keys.fan(job_id, f"b:{n}"), keys.fan(job_id, "st")]
        )
        if not reply:
            return None
        raw, codes = reply
        lang, _, phones = raw.partition("|")
        return lang, [p for p in phones.split(",") if p], codes

    def fanout_plan(self, job_id: str) -> dict[str, str]:
        """The fan-out's plan record: state (pending|planned|done), batches, texts, rq ids."""
        return cast(dict[str, str], self.redis.hgetall(keys.fan(job_id, "plan")))

    def fanout_request(self, job_id: str, rq_id: str) -> bool:
        """Ask for a (new) plan unless one is sending; True when the planner should run."""
        return bool(
            self.script("fanout_request")(
                keys=[keys.fan(job_id, "plan"), keys.fan(job_id, "todo"), keys.FAN_ACTIVE],
                args=[job_id, rq_id],
            )
        )

    def fanout_todo(self, job_id: str) -> set[int]:
        """Batches not finished yet."""
        return {int(n) for n in self.redis.smembers(keys.fan(job_id, "todo"))}

    def fanout_rq_ids(self, job_id: str, numbers: Sequence[int]) -> list[str | None]:
        """The RQ job currently in charge of each batch."""
        if not numbers:
            return []
        ids = self.redis.hmget(keys.fan(job_id, "rq"), [str(n) for n in numbers])
        return cast(list[str | None], ids)

    def set_fanout_rq_ids(self, job_id: str, rq_ids: dict[int, str], ttl: int) -> None:
        """Record the RQ jobs that carry these batches."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(keys.fan(job_id, "rq"), mapping={str(n): i for n, i in rq_ids.items()})
        pipe.expire(keys.fan(job_id, "rq"), ttl)
        pipe.execute()

    def set_fanout_rq_id(self, job_id: str, n: int | str, rq_id: str) -> None:
        """Record which RQ job now carries batch n ('plan' for the planner)."""
        if n == "plan":
            self.redis.hset(keys.fan(job_id, "plan"), "rq", rq_id)
        else:
            self.redis.hset(keys.fan(job_id, "rq"), str(n), rq_id)

    def bump_fanout_attempts(self, job_id: str, n: int, kind: str = "try") -> int:
        """Count one more attempt of a batch ('try': gateway retries, 'sweep': re-enqueues)."""
        pipe = self.redis.pipeline()
        pipe.hincrby(keys.fan(job_id, "try"), f"{kind}:{n}", 1)
        pipe.expire(keys.fan(job_id, "try"), 30 * 24 * 3600)
        return int(pipe.execute()[0])

    def fanout_attempts(self, job_id: str, n: int, kind: str = "try") -> int:
        """Attempts counted so far."""
        return int(self.redis.hget(keys.fan(job_id, "try"), f"{kind}:{n}") or 0)

    def acquire_fanout_lease(self, job_id: str, n: int | str, token: str, ttl: int) -> bool:
        """Take the lock on a batch (or 'plan') for ttl seconds: one sender at a time."""
        return bool(self.redis.set(keys.fan(job_id, f"lease:{n}"), token, nx=True, ex=ttl))

    def renew_fanout_lease(self, job_id: str, n: int | str, token: str, ttl: int) -> bool:
        """Extend our lock for another ttl seconds; False if it is no longer ours."""
        return bool(
            self.script("renew_lease")(keys=[keys.fan(job_id, f"lease:{n}")], args=[token, ttl])
        )

    def release_fanout_lease(self, job_id: str, n: int | str, token: str) -> None:
        """Give the lock back, if it is still ours."""
        self.script("release_lease")(keys=[keys.fan(job_id, f"lease:{n}")], args=[token])

    def fanout_leases(self, job_id: str, numbers: Sequence[int | str]) -> list[bool]:
        """Whether each batch is locked by a live sender right now."""
        if not numbers:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for n in numbers:
            pipe.exists(keys.fan(job_id, f"lease:{n}"))
        return [bool(x) for x in pipe.execute()]

    def record_alerts(
        self,
        job_id: str,
        n: int,
        rows: Sequence[tuple[str, str, str, str, str]],
        *,
        segments: int,
        price: float,
        finish: bool,
        ttl: int,
        gateway_ttl: int = 14 * 24 * 3600,
    ) -> dict[str, int]:
        """Record what happened to each recipient of a batch, atomically, moving stats once.

        rows: (phone, 's'|'f'|'x', reason, gateway message id, cost). A phone already
        recorded is left alone, so a re-run of the batch cannot count anyone twice. With
        finish, the batch leaves the to-do set in the same step. Each recipient's alert
        history (alh:{phone}) gets the outcome too, for the admin's subscriber page.
        """
        # One joined argument rather than five per row: packing thousands of arguments costs
        # more than the script itself.
        lines = []
        for row in rows:
            line = "\t".join(row)
            if "\n" in line or line.count("\t") != 4:  # rare: only then pay for cleaning
                line = "\t".join(str(v).translate(_NO_TAB_NL) for v in row)
            lines.append(line)
        joined = "\n".join(lines)
        args: list[str | int | float] = [
            n,
            segments,
            price,
            gateway_ttl,
            ttl,
            int(finish),
            f"alert:{job_id}:",
            repr(self.clock()),
            joined,
            job_id,
            self.retention.history,
            ALERT_HISTORY_KEEP,
        ]
        sent, failed, skipped, left = self.script("record_alerts")(
            keys=[
                keys.fan(job_id, "st"),
                keys.fan(job_id, "stats"),
                keys.fan(job_id, "todo"),
                keys.fan(job_id, f"b:{n}"),
            ],
            args=args,
        )
        return {"sent": sent, "failed": failed, "skipped": skipped, "todo": left}

    def finish_fanout(self, job_id: str) -> bool:
        """Mark a planned fan-out done once no batch is left; True when it just finished."""
        return bool(
            self.script("finish_fanout")(
                keys=[keys.fan(job_id, "plan"), keys.fan(job_id, "todo"), keys.FAN_ACTIVE],
                args=[job_id],
            )
        )

    def drop_fanout_batch(self, job_id: str, n: int, error: str) -> int:
        """Give up on a batch that cannot be sent, loudly; returns how many it left unsent.

        Those recipients stay queued ('q'): a later publication plans them again.
        """
        return int(
            self.script("drop_batch")(
                keys=[
                    keys.fan(job_id, f"b:{n}"),
                    keys.fan(job_id, "st"),
                    keys.fan(job_id, "todo"),
                    keys.fan(job_id, "stats"),
                ],
                args=[n, error[:300]],
            )
        )

    def suspect_fanout(self, job_id: str, n: int | str, rq_id: str, ttl: int) -> bool:
        """Note that batch n (RQ job rq_id) looks lost; True if it already did last time."""
        key = keys.fan(job_id, f"suspect:{n}")
        pipe = self.redis.pipeline()
        pipe.get(key)
        pipe.set(key, rq_id, ex=ttl)
        before, _ = pipe.execute()
        return before == rq_id

    def active_fanouts(self) -> list[str]:
        """Jobs with a fan-out planned or under way."""
        return sorted(cast(set[str], self.redis.smembers(keys.FAN_ACTIVE)))

    def forget_fanout(self, job_id: str) -> None:
        """Take a job off the active fan-outs (it was deleted or can no longer send)."""
        pipe = self.redis.pipeline()
        pipe.srem(keys.FAN_ACTIVE, job_id)
        pipe.hset(keys.fan(job_id, "plan"), "state", "done")
        pipe.execute()

    def alert_stats(self, job_id: str) -> dict[str, str]:
        """The fan-out counters of a job, and how many people it planned ('people')."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(keys.fan(job_id, "stats"))
        pipe.hlen(keys.fan(job_id, "st"))
        stats, people = pipe.execute()
        stats["people"] = str(people)
        return stats

    def set_alert_stat(self, job_id: str, name: str, value: str | int) -> None:
        """Set one fan-out counter (e.g. the audience counted at publication)."""
        self.redis.hset(keys.fan(job_id, "stats"), name, value)

    def record_alert_delivery(self, job_id: str, phone: str, outcome: str, reason: str) -> bool:
        """Apply a delivery report ('d' or 'f') to a sent alert, once; True if it changed."""
        return bool(
            self.script("alert_delivery")(
                keys=[keys.fan(job_id, "st"), keys.fan(job_id, "stats")],
                args=[
                    phone,
                    outcome,
                    reason,
                    job_id,
                    repr(self.clock()),
                    self.retention.history,
                    ALERT_HISTORY_KEEP,
                ],
            )
        )

    def alert_history(self, phone: str) -> list[AlertRecord]:
        """The alerts sent to a number, newest job first: outcome, reason and times."""
        raw = cast(dict[str, str], self.redis.hgetall(keys.alert_history(phone)))
        records = []
        for job_id, value in raw.items():
            outcome, reason, sent_at, report_at = (value.split("|") + ["", "", "", ""])[:4]
            records.append(
                AlertRecord(
                    job_id=job_id,
                    outcome=AlertOutcome(outcome) if outcome in _OUTCOMES else AlertOutcome.SENT,
                    reason=reason,
                    at=float(sent_at) if sent_at else None,
                    report_at=float(report_at) if report_at else None,
                )
            )
        return sorted(records, key=lambda r: -(int(r.job_id) if r.job_id.isdigit() else 0))

    def sweep_due(self, interval: float, what: str = "fan") -> bool:
        """True for one caller per interval across all workers: whose turn it is to sweep
        (`what`: 'fan' for alert batches, 'out' for replies, 'inbox' for drainers)."""
        key = keys.SWEEP.format(what=what)
        return bool(self.redis.set(key, "1", nx=True, px=max(1, int(interval * 1000))))
