"""Outgoing replies, their delivery refs, and what the simulated gateway recorded."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import cast

import alerts.store.keys as keys
from alerts.store.base import StoreBase

#: Messages the simulated gateway keeps in all (100 per number).
SIM_KEEP = 2000


class OutboxStore(StoreBase):
    """Outgoing replies and what the simulated gateway recorded: part of Store."""

    def new_outgoing(
        self,
        phone: str,
        text: str,
        *,
        kind: str,
        force: bool = False,
        pipe=None,
        out_id: str | None = None,
        rq: str | None = None,
    ) -> str:
        """Record a reply to send; returns its id (queued on pipe if given, else written now)."""
        now = self.now()
        # Random rather than a Redis counter: the id is known before any round trip, so the
        # record, the history and the RQ job can all go in one pipeline.
        out_id = out_id or f"{now:x}{secrets.token_hex(6)}"
        own = pipe is None
        if own:
            pipe = self.redis.pipeline(transaction=False)
        pipe.hset(
            keys.outgoing(out_id),
            mapping={
                "phone": phone,
                "text": text,
                "kind": kind,
                "force": int(force),
                "status": "queued",
                "created": now,
                "attempts": 0,
                **({"rq": rq} if rq else {}),
            },
        )
        pipe.expire(keys.outgoing(out_id), self.retention.records)
        # Listed until it leaves, so a reply whose RQ job vanishes is found again (sweep).
        # Scored by the exact clock: replies to one number are sent in the order written.
        pipe.zadd(keys.OUT_PENDING, {out_id: self.clock()})
        # Indexed by phone so erasing a subscriber erases the texts we sent them too.
        pipe.lpush(keys.outgoing_ids(phone), out_id)
        pipe.ltrim(keys.outgoing_ids(phone), 0, 199)
        pipe.expire(keys.outgoing_ids(phone), self.retention.records)
        if own:
            pipe.execute()
        return out_id

    def get_outgoing(self, out_id: str) -> dict | None:
        """An outgoing reply's record."""
        data = self.redis.hgetall(keys.outgoing(out_id))
        return data or None

    def update_outgoing(self, out_id: str, *, due: float | None = None, **fields: object) -> None:
        """Change an outgoing reply's status, gateway id, reason or attempt count.

        `due` (epoch seconds) keeps a queued reply on the pending list until then; any status
        but queued or sending takes it off.
        """
        pipe = self.redis.pipeline(transaction=True)
        self._write_outgoing(pipe, out_id, fields, due=due)
        pipe.execute()

    @staticmethod
    def _write_outgoing(pipe, out_id: str, fields: dict[str, object], *, due: float | None) -> None:
        """Queue update_outgoing's writes for one reply on `pipe`."""
        pipe.hset(keys.outgoing(out_id), mapping={k: str(v) for k, v in fields.items()})
        if due is not None:
            pipe.zadd(keys.OUT_PENDING, {out_id: due})
        elif fields.get("status", "queued") not in ("queued", "sending"):
            pipe.zrem(keys.OUT_PENDING, out_id)

    def claim_outgoing(self, out_id: str) -> bool:
        """Move a reply from queued to sending, once: a retried job must not send it twice."""
        return self.claim_outgoings([out_id])[0]

    def outgoing_records(self, out_ids: Sequence[str]) -> list[dict | None]:
        """Several replies' records, in one round trip (None for a missing one)."""
        pipe = self.redis.pipeline(transaction=False)
        for out_id in out_ids:
            pipe.hgetall(keys.outgoing(out_id))
        return [data or None for data in pipe.execute()]

    def claim_outgoings(self, out_ids: Sequence[str]) -> list[bool]:
        """claim_outgoing() for several replies in one round trip; which were claimed."""
        pipe = self.redis.pipeline(transaction=False)
        now = self.now()
        for out_id in out_ids:
            self.script("claim_outgoing")(keys=[keys.outgoing(out_id)], args=[now], client=pipe)
        return [bool(claimed) for claimed in pipe.execute()]

    def record_sent_outgoings(self, rows: Sequence[tuple[str, dict[str, object]]]) -> None:
        """update_outgoing() for several replies, and each gateway id linked to its reply for
        delivery reports (link_gateway_id), in one round trip."""
        pipe = self.redis.pipeline(transaction=True)
        for out_id, fields in rows:
            self._write_outgoing(pipe, out_id, fields, due=None)
            if gateway_id := fields.get("gateway_id"):
                # The ref is the reply's key: 'out:<id>'.
                self.link_gateway_id(str(gateway_id), keys.outgoing(out_id), pipe=pipe)
        pipe.execute()

    def overdue_outgoing(self, due_before: float, limit: int = 500) -> list[str]:
        """Ids of replies that should have left before `due_before`, oldest first."""
        due = self.redis.zrangebyscore(keys.OUT_PENDING, "-inf", due_before, start=0, num=limit)
        return cast(list[str], due)

    def forget_pending_outgoing(self, out_id: str) -> None:
        """Take a reply off the pending list (its record is gone or final)."""
        self.redis.zrem(keys.OUT_PENDING, out_id)

    def suspect_outgoing(self, out_id: str, mark: str, ttl: int) -> bool:
        """Note that a reply (its RQ job and status: `mark`) looks lost; True if it already
        did at the previous look."""
        return self.second_look(keys.outgoing_suspect(out_id), mark, ttl)

    def reclaim_outgoing(self, out_id: str, claimed_before: int) -> bool:
        """Put a reply stuck in 'sending' since before `claimed_before` back to 'queued'."""
        script = self.script("reclaim_outgoing")
        return bool(script(keys=[keys.outgoing(out_id)], args=[claimed_before]))

    def outgoing_states(
        self, out_ids: Sequence[str]
    ) -> list[tuple[str | None, str | None, str | None]]:
        """(status, phone, text) of each reply, in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for out_id in out_ids:
            pipe.hmget(keys.outgoing(out_id), "status", "phone", "text")
        return [(status, phone, text) for status, phone, text in pipe.execute()]

    def sender_holder(self) -> str | None:
        """The token of the reply sender holding the lease, if any."""
        return cast(str | None, self.redis.get(keys.OUT_SENDER))

    def take_sender_lease(self, token: str, ttl: int) -> bool:
        """Become the reply sender for ttl seconds, if nobody is."""
        return bool(self.redis.set(keys.OUT_SENDER, token, nx=True, ex=ttl))

    def renew_sender_lease(self, token: str, ttl: int) -> bool:
        """Keep the reply sender's lease another ttl seconds, if it is still ours."""
        return bool(self.script("renew_lease")(keys=[keys.OUT_SENDER], args=[token, ttl]))

    def release_sender_lease(self, token: str) -> None:
        """Give the reply sender's lease back, if it is still ours."""
        self.script("release_lease")(keys=[keys.OUT_SENDER], args=[token])

    def link_gateway_id(self, gateway_id: str, ref: str, ttl: int | None = None, pipe=None) -> None:
        """Remember what a gateway message id is for, to route its delivery reports (queued on
        pipe if given)."""
        client = self.redis if pipe is None else pipe
        client.set(keys.gateway_ref(gateway_id), ref, ex=ttl or self.retention.delivery_refs)

    def ref_for_gateway_id(self, gateway_id: str) -> str | None:
        """'out:<id>' or 'alert:<job>:<phone>' for a gateway message id, or None."""
        return cast(str | None, self.redis.get(keys.gateway_ref(gateway_id)))

    def record_simulated(self, message: dict) -> None:
        """Keep a message the simulated gateway accepted, for the phone simulator."""
        data = json.dumps(message, ensure_ascii=False)
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(keys.SIMULATED, data)
        pipe.ltrim(keys.SIMULATED, 0, SIM_KEEP - 1)
        phone_key = keys.simulated(message.get("to", ""))
        pipe.lpush(phone_key, data)
        pipe.ltrim(phone_key, 0, 99)
        pipe.execute()

    def simulated_messages(self, phone: str | None = None, limit: int = 50) -> list[dict]:
        """Newest first: what the simulated gateway accepted (for one phone, or all)."""
        key = keys.simulated(phone) if phone else keys.SIMULATED
        return [json.loads(m) for m in self.redis.lrange(key, 0, limit - 1)]
