"""What every part of the store shares: the Redis client, the clock, retention, the scripts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

import redis as redis_lib
from redis.client import Pipeline
from redis.commands.core import Script

from alerts.domain.retention import Retention
from alerts.store.scripts import Scripts


@dataclass
class StoreBase:
    """Baara's data in Redis. Takes a client created with decode_responses=True."""

    redis: redis_lib.Redis
    clock: Callable[[], float] = field(default=time.time)
    retention: Retention = field(default_factory=Retention)
    scripts: Scripts = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.scripts = Scripts(self.redis)

    @classmethod
    def from_url(cls, url: str) -> Self:
        """A store on its own connection pool."""
        return cls(redis_lib.Redis.from_url(url, decode_responses=True))

    def now(self) -> int:
        """Seconds since the epoch, from the store's clock."""
        return int(self.clock())

    def script(self, name: str) -> Script:
        """The Lua script alerts/store/lua/{name}.lua on this store's client."""
        return self.scripts[name]

    def pipeline(self) -> Pipeline:
        """A non-transactional pipeline on the store's connection, to batch writes."""
        return self.redis.pipeline(transaction=False)

    def second_look(self, key: str, mark: str, ttl: int) -> bool:
        """Note `mark` under key for ttl seconds; True if the previous look noted the same."""
        pipe = self.redis.pipeline()
        pipe.get(key)
        pipe.set(key, mark, ex=ttl)
        before, _ = pipe.execute()
        return before == mark

    def ping(self) -> bool:
        """True when Redis answers."""
        try:
            return bool(self.redis.ping())
        except redis_lib.RedisError:
            return False
