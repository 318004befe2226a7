"""The admin audit log."""

from __future__ import annotations

import json
from collections.abc import Mapping

import alerts.store.keys as keys
from alerts.store.base import StoreBase


class AuditStore(StoreBase):
    """The admin audit log: part of Store."""

    def add_audit(self, entry: Mapping[str, object], keep: int = 10000) -> None:
        """Append to the audit log (newest first, capped)."""
        data = json.dumps({"at": self.now(), **entry}, ensure_ascii=False)
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(keys.AUDIT, data)
        pipe.ltrim(keys.AUDIT, 0, keep - 1)
        pipe.execute()

    def audit_log(self, limit: int = 200) -> list[dict]:
        """The newest audit entries, newest first."""
        return [json.loads(e) for e in self.redis.lrange(keys.AUDIT, 0, limit - 1)]
