"""Community relays, their daily quota, and the consent requests they start."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from redis.typing import EncodableT, FieldT

import alerts.store.keys as keys
from alerts.store.base import StoreBase


class RelaysStore(StoreBase):
    """Community relays, their daily quota, and the consent requests they start: part of Store."""

    def put_relay(
        self, phone: str, districts: Sequence[str], *, status: str, name: str | None = None
    ) -> dict:
        """Create or update a relay (status 'approved' or 'pending'), keeping its figures.

        `name` is how the people it enrolls know the relay; None keeps the one it has.
        """
        key = keys.relay(phone)
        fields: dict[FieldT, EncodableT] = {"districts": ",".join(districts), "status": status}
        if name is not None:
            fields["name"] = name
        pipe = self.redis.pipeline()
        pipe.hsetnx(key, "created", self.now())
        pipe.hset(key, mapping=fields)
        pipe.sadd(keys.RELAYS, phone)
        pipe.execute()
        return self.get_relay(phone) or {}

    def get_relay(self, phone: str) -> dict | None:
        """A relay's record with districts as a list and figures as ints, or None."""
        data = cast(dict[str, str], self.redis.hgetall(keys.relay(phone)))
        if not data:
            return None
        figures = ("asked", "enrolled", "refused", "expired")
        return {
            "phone": phone,
            "status": data.get("status", "pending"),
            "name": data.get("name", ""),
            "districts": [d for d in data.get("districts", "").split(",") if d],
            "created": int(data.get("created", 0)),
            **{f: int(data.get(f, 0)) for f in figures},
        }

    def delete_relay(self, phone: str) -> bool:
        """Remove a relay (people it enrolled keep their subscriptions)."""
        pipe = self.redis.pipeline()
        pipe.delete(keys.relay(phone), keys.refused(phone))
        pipe.srem(keys.RELAYS, phone)
        return bool(pipe.execute()[0])

    def relays(self) -> list[dict]:
        """Every relay, approved and pending."""
        phones = cast(set[str], self.redis.smembers(keys.RELAYS))
        return [r for p in sorted(phones) if (r := self.get_relay(p))]

    def count_relay(self, phone: str, figure: str) -> None:
        """Add one to a relay's figure: asked, enrolled, refused or expired."""
        if self.redis.exists(keys.relay(phone)):
            self.redis.hincrby(keys.relay(phone), figure, 1)

    def take_relay_quota(self, phone: str, day: str, limit: int) -> bool:
        """Count one enrollment request for the relay today; False when over the limit."""
        key = keys.relay_day(phone, day)
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 2 * 24 * 3600)
        used = pipe.execute()[0]
        if used > limit:
            self.redis.decr(key)
            return False
        return True

    def open_consent(self, target: str, request: dict, ttl: int) -> bool:
        """Record a pending consent request for target; False if one is already pending."""
        key = keys.consent(target)
        pipe = self.redis.pipeline()
        pipe.hsetnx(key, "relay", request["relay"])
        pipe.hgetall(key)
        created, current = pipe.execute()
        if not created:
            return False
        pipe = self.redis.pipeline()
        pipe.hset(key, mapping={k: str(v) for k, v in request.items()})
        pipe.expire(key, ttl)
        pipe.set(keys.consent_id(request["id"]), target, ex=ttl)
        pipe.execute()
        return True

    def consent_target(self, request_id: str) -> str | None:
        """The number a consent request was sent to, while the request is kept."""
        return cast(str | None, self.redis.get(keys.consent_id(request_id)))

    def get_consent(self, target: str) -> dict | None:
        """The pending consent request for a number, if any."""
        return self.redis.hgetall(keys.consent(target)) or None

    def close_consent(self, target: str, request_id: str) -> dict | None:
        """Remove and return the pending request if it is still this one (answers race expiry)."""
        flat = self.script("close_consent")(
            keys=[keys.consent(target), keys.consent_id(request_id)], args=[request_id]
        )
        return dict(zip(flat[::2], flat[1::2], strict=True)) if flat else None

    def set_consent_status(self, target: str, status: str) -> None:
        """Mark a consent request expired (kept until its TTL so a late answer is explained)."""
        self.redis.hset(keys.consent(target), "status", status)

    def mark_refused(self, relay: str, target: str) -> None:
        """This number said no to this relay: the relay may not ask it again."""
        self.redis.sadd(keys.refused(relay), target)

    def has_refused(self, relay: str, target: str) -> bool:
        """Whether the number once refused this relay."""
        return bool(self.redis.sismember(keys.refused(relay), target))
