"""Admin accounts, their sessions, and sign-in attempt counters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import alerts.store.keys as keys
from alerts.store.base import StoreBase


class AccountsStore(StoreBase):
    """Admin accounts, their sessions, and sign-in attempt counters: part of Store."""

    def save_account(self, email: str, fields: Mapping[str, object]) -> None:
        """Create or update an admin account's record (fields are merged)."""
        pipe = self.redis.pipeline()
        pipe.hset(keys.account(email), mapping={k: str(v) for k, v in fields.items()})
        pipe.sadd(keys.ACCOUNTS, email)
        pipe.execute()

    def get_account(self, email: str) -> dict | None:
        """An admin account's record, or None."""
        return self.redis.hgetall(keys.account(email)) or None

    def account_emails(self) -> list[str]:
        """Every admin account's email, sorted."""
        return sorted(cast(set[str], self.redis.smembers(keys.ACCOUNTS)))

    def delete_account(self, email: str) -> bool:
        """Remove an admin account (its sessions die with it: they are checked against it)."""
        pipe = self.redis.pipeline()
        pipe.delete(keys.account(email))
        pipe.srem(keys.ACCOUNTS, email)
        return bool(pipe.execute()[0])

    def open_session(self, token: str, value: str, ttl: int) -> None:
        """Remember a signed-in admin session."""
        self.redis.set(keys.session(token), value, ex=ttl)

    def session_value(self, token: str, ttl: int) -> str | None:
        """A live session's value, extending its life (sliding expiry), or None."""
        key = keys.session(token)
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(key)
        pipe.expire(key, ttl, xx=True)
        return pipe.execute()[0]

    def close_session(self, token: str) -> None:
        """Forget a session (sign-out)."""
        self.redis.delete(keys.session(token))

    def reserve_sign_in(self, limits: Sequence[tuple[str, str, int]], window: int) -> int:
        """Count one attempt against every (kind, id, limit), or none: seconds to wait, 0 = go."""
        counters = [keys.sign_in_failures(kind, ident) for kind, ident, _ in limits]
        args = [limit for _, _, limit in limits] + [window]
        return int(self.script("sign_in_reserve")(keys=counters, args=args))

    def release_sign_in(self, counters: Sequence[tuple[str, str]]) -> None:
        """After a good password: reset the first counter, give the attempt back to the others."""
        names = [keys.sign_in_failures(kind, ident) for kind, ident in counters]
        self.script("sign_in_release")(keys=names)

    def failures(self, kind: str, ident: str) -> tuple[int, int]:
        """(sign-in attempts counted, seconds until the count resets) for (kind, ident)."""
        key = keys.sign_in_failures(kind, ident)
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(key)
        pipe.ttl(key)
        count, ttl = pipe.execute()
        return int(count or 0), max(int(ttl), 0)
