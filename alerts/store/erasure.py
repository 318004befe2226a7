"""Erasure: a number's own records, and the number wherever else it appears."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import alerts.store.keys as keys
from alerts.store.relays import RelaysStore
from alerts.store.subscribers import SubscribersStore


class ErasureStore(SubscribersStore, RelaysStore):
    """Erasure: part of Store."""

    def erase_subscriber(self, phone: str) -> bool:
        """Forget the number's own records: record, indexes, questions, history, replies.

        Other people's records that mention it are scrub_number()'s job (alerts/erasure.py).
        """
        existed = self.get_subscriber(phone) is not None
        self.update_subscriber(phone, lambda old: None)
        out_ids = cast(list[str], self.redis.lrange(keys.outgoing_ids(phone), 0, -1))
        pipe = self.redis.pipeline(transaction=False)
        for out_id in out_ids:
            pipe.hget(keys.outgoing(out_id), "gateway_id")
        pipe.hget(keys.consent(phone), "id")
        *gateway_ids, consent_id = pipe.execute()
        outs = [keys.outgoing(i) for i in out_ids]
        doomed = [
            # Delivery refs of the replies point at records that are going.
            *(keys.gateway_ref(g) for g in gateway_ids if g),
            *([keys.consent_id(consent_id)] if consent_id else []),
            keys.pending(phone),
            keys.history(phone),
            keys.alert_history(phone),
            keys.outgoing_ids(phone),
            keys.last_gateway(phone),
            *outs,
            keys.consent(phone),
            keys.ussd_call(phone),
            keys.ussd_jobs(phone),
            keys.simulated(phone),
            keys.muted("sms", phone),
            keys.muted("ussd", phone),
            keys.seen(phone),
            # Rate windows expire within minutes; erasure is rare enough to SCAN for them.
            *self.redis.scan_iter(match=keys.rate("*", phone, "*"), count=1000),
        ]
        existed = bool(self.redis.delete(*doomed)) or existed
        existed = self.delete_relay(phone) or existed
        pipe = self.redis.pipeline(transaction=False)
        # Per-job send records and relays' refusal marks name the number too.
        for job_id in cast(list[str], self.redis.zrange(keys.JOBS_ALL, 0, -1)):
            pipe.hdel(keys.fan(job_id, "st"), phone)
        for relay in cast(set[str], self.redis.smembers(keys.RELAYS)):
            pipe.srem(keys.refused(relay), phone)
        existed = any(pipe.execute()) or existed
        return existed

    def scrub_number(
        self,
        phone: str,
        national: str,
        patterns: Sequence[str],
        *,
        mask: str,
        audit_mask: str,
        batch: int = 100,
    ) -> tuple[int, int]:
        """Delete or redact the number wherever it appears (every key but RQ's rq:*).

        `patterns` are Lua patterns matching the number in any form it may be written in,
        `national` its national digits, which every form holds (alerts/erasure.py builds
        both). One SCAN over the whole database, each batch of keys handled by one script;
        returns (keys deleted, values redacted). Erasure is rare, so it pays for a full pass
        rather than for an index of who mentions whom on every message.
        """
        script = self.script("scrub")
        args = [phone, mask, audit_mask, national, *patterns]
        deleted = redacted = 0
        batch_keys: list[str] = []
        for key in self.redis.scan_iter(count=1000):
            if key.startswith(keys.RQ_PREFIX):
                continue
            batch_keys.append(key)
            if len(batch_keys) >= batch:
                gone, changed = script(keys=batch_keys, args=args)
                deleted, redacted, batch_keys = deleted + gone, redacted + changed, []
        if batch_keys:
            gone, changed = script(keys=batch_keys, args=args)
            deleted, redacted = deleted + gone, redacted + changed
        return deleted, redacted
