"""The inbound SMS inbox: the webhook's accept step, the drainer's lease and lists."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import redis as redis_lib

import alerts.store.keys as keys
from alerts.store.base import StoreBase

#: AT message ids remembered per number: AT retries a callback within minutes, and flood
#: control lets nobody send this many messages in that time.
SEEN_KEEP = 50
#: Failed inbox items kept for a look.
DEAD_KEEP = 1000
#: What flood control (and de-duplication) decided about an inbound message.
VERDICTS = ("duplicate", "silent", "warn", "ok")


class InboxStore(StoreBase):
    """The inbound SMS inbox: part of Store."""

    def accept_sms(
        self,
        phone: str,
        ident: str,
        item: str,
        *,
        limit: int,
        window: int,
        cooldown: int,
        lease_token: str,
        lease_ttl: int,
        metric_fields: Mapping[str, str],
        urgent: str = "",
        urgent_cap: int = 0,
        wait_ms: int = 0,
    ) -> tuple[str, bool, bool]:
        """The webhook's one round trip: de-duplicate by AT id, count (flood control), append
        to the inbox and take the drainer lease if nobody holds it.

        Returns (verdict, drainer wanted, replicated): verdict is duplicate, silent (muted:
        dropped), warn (over the limit just now: queued for the one "too many" answer) or ok
        (queued). `urgent` ('stop' or 'start') lets the message past flood control, at most
        `urgent_cap` such messages per cool-down. With `wait_ms`, the same connection then asks
        `WAIT 1 wait_ms`: replicated says whether a replica holds the write (always True
        without it).
        """
        slot = self.now() // window
        names = (
            keys.seen(phone),
            keys.muted("sms", phone),
            keys.rate("sms", phone, slot),
            keys.INBOX,
            keys.INBOX_LEASE,
            keys.METRICS_COUNT,
            keys.urgent(phone, urgent or "-"),
        )
        args: tuple[str | int | float, ...] = (
            ident,
            self.now(),
            self.retention.seen,
            SEEN_KEEP,
            limit,
            window * 2,
            cooldown,
            item,
            lease_token,
            lease_ttl,
            *(metric_fields[v] for v in VERDICTS),
            urgent,
            urgent_cap,
        )
        script = self.script("accept_sms")
        if wait_ms <= 0:
            verdict, wanted = script(names, args)
            return verdict, bool(wanted), True
        # WAIT counts the replicas that acknowledged this connection's writes: one pipeline.
        pipe = self.redis.pipeline(transaction=False)
        script(names, args, client=pipe)
        pipe.execute_command("WAIT", 1, wait_ms)
        (verdict, wanted), acked = pipe.execute()
        return verdict, bool(wanted), int(acked) >= 1

    def has_replica(self, max_age: float = 5.0) -> bool:
        """Whether the primary has a replica connected (INFO, read again every few seconds)."""
        now = time.monotonic()
        cached = self.__dict__.get("_has_replica")
        if cached is None or now - cached[0] > max_age:
            try:
                slaves = int(self.redis.info("replication").get("connected_slaves", 0))
            except redis_lib.ResponseError:
                slaves = 0  # a managed Redis that hides INFO: nothing we could wait for
            cached = self.__dict__["_has_replica"] = (now, slaves > 0)
        return cached[1]

    def take_inbound(self, token: str, lease_ttl: int) -> tuple[str, str | None]:
        """The next inbox item for the drainer holding `token`, moved to the busy list.

        ('item', raw) renews the lease; ('empty', None) gives it up, atomically with finding
        the inbox empty (so a message appended a moment later starts a new drainer);
        ('lost', None) means the lease went to another drainer: stop.
        """
        state, items = self.take_inbound_items(token, lease_ttl, 1)
        return state, (items[0] if items else None)

    def take_inbound_items(self, token: str, lease_ttl: int, count: int) -> tuple[str, list[str]]:
        """take_inbound() for up to `count` items at once, in order (one round trip)."""
        found = self.script("take_inbound")(
            (keys.INBOX_LEASE, keys.INBOX, keys.INBOX_BUSY), (token, lease_ttl, count)
        )
        return found[0], list(found[1:])

    def finish_inbound_items(self, raws: Sequence[str], *, dead: bool = False) -> None:
        """Drop handled items from the busy list, in one round trip (to the capped dead list if
        they failed)."""
        if not raws:
            return
        pipe = self.redis.pipeline()
        for raw in raws:
            pipe.lrem(keys.INBOX_BUSY, 1, raw)
            if dead:
                pipe.lpush(keys.INBOX_DEAD, raw)
        if dead:
            pipe.ltrim(keys.INBOX_DEAD, 0, DEAD_KEEP - 1)
        pipe.execute()

    def finish_inbound(self, raw: str, *, dead: bool = False) -> None:
        """Drop a handled item from the busy list (to the capped dead list if it failed)."""
        self.finish_inbound_items([raw], dead=dead)

    def requeue_busy(self, token: str) -> int:
        """Put the items a dead drainer left half-done back at the head of the inbox, in order,
        marked 'again|'.

        Only the lease holder may: while it holds the lease no other drainer is alive.
        """
        return int(
            self.script("requeue_busy")((keys.INBOX_LEASE, keys.INBOX_BUSY, keys.INBOX), (token,))
        )

    def hand_over_lease(self, token: str, new_token: str, lease_ttl: int) -> bool:
        """Pass the drainer lease to a successor job (False if it was lost meanwhile)."""
        return bool(
            self.script("hand_over_lease")((keys.INBOX_LEASE,), (token, new_token, lease_ttl))
        )

    def release_inbox_lease(self, token: str) -> bool:
        """Drop the drainer lease if `token` still holds it (its busy item goes back to the
        inbox when the next drainer starts)."""
        return bool(self.script("release_lease")((keys.INBOX_LEASE,), (token,)))

    def suspect_drainer(self, token: str, ttl: int) -> bool:
        """Note that the drainer holding the inbox lease looks lost; True if it already did
        at the previous look."""
        return self.second_look(keys.INBOX_SUSPECT, token, ttl)

    def inbox_lease_holder(self) -> str | None:
        """The drainer holding the inbox lease while messages wait, else None."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(keys.INBOX_LEASE)
        pipe.llen(keys.INBOX)
        pipe.llen(keys.INBOX_BUSY)
        holder, waiting, busy = pipe.execute()
        return holder if holder and waiting + busy else None

    def claim_idle_inbox(self, token: str, lease_ttl: int) -> bool:
        """Take the drainer lease when messages wait and nobody drains them (the sweep)."""
        return bool(
            self.script("claim_idle_inbox")(
                (keys.INBOX_LEASE, keys.INBOX, keys.INBOX_BUSY), (token, lease_ttl)
            )
        )

    def inbox_depths(self) -> dict[str, int]:
        """Items waiting, being handled, and kept after failing."""
        pipe = self.redis.pipeline(transaction=False)
        for key in (keys.INBOX, keys.INBOX_BUSY, keys.INBOX_DEAD):
            pipe.llen(key)
        return dict(zip(("waiting", "busy", "dead"), pipe.execute(), strict=True))
