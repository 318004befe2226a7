"""Conversations: the question pending for a number, its message history."""

from __future__ import annotations

import json

import alerts.store.keys as keys
from alerts.domain.subscribers import InboundContext
from alerts.store.base import StoreBase
from alerts.store.subscribers import unpack


class ConversationsStore(StoreBase):
    """Conversations: part of Store."""

    def conversation_context(self, phone: str) -> InboundContext:
        """The number's subscriber record, pending question and consent request: one trip."""
        key, fld = keys.subscriber(phone)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(key, fld)
        pipe.get(keys.pending(phone))
        pipe.hgetall(keys.consent(phone))
        packed, pending, consent = pipe.execute()
        return InboundContext(
            subscriber=unpack(phone, packed) if packed else None,
            pending=json.loads(pending) if pending else None,
            consent=consent or None,
        )

    def set_pending(self, phone: str, question: dict, ttl: int = 24 * 3600) -> None:
        """Remember a question we asked this number."""
        self.redis.set(keys.pending(phone), json.dumps(question), ex=ttl)

    def get_pending(self, phone: str) -> dict | None:
        """The question we are waiting an answer for, if any."""
        raw = self.redis.get(keys.pending(phone))
        return json.loads(raw) if raw else None

    def clear_pending(self, phone: str) -> None:
        """Forget the question."""
        self.redis.delete(keys.pending(phone))

    def add_history(
        self,
        phone: str,
        direction: str,
        text: str,
        keep: int = 30,
        *,
        pipe=None,
        at: int | None = None,
    ) -> None:
        """Append to a number's message history (newest first, capped); queued on pipe if given."""
        when = self.now() if at is None else at
        entry = json.dumps({"at": when, "dir": direction, "text": text}, ensure_ascii=False)
        own = pipe is None
        if own:
            pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(keys.history(phone), entry)
        pipe.ltrim(keys.history(phone), 0, keep - 1)
        pipe.expire(keys.history(phone), self.retention.history)
        if own:
            pipe.execute()

    def history(self, phone: str, limit: int = 30) -> list[dict]:
        """A number's recent messages, newest first."""
        return [json.loads(e) for e in self.redis.lrange(keys.history(phone), 0, limit - 1)]
