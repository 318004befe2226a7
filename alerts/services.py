"""The per-app services: Redis connections, the store, RQ queues, the SMS gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis as redis_lib
from flask import Flask, current_app
from rq import Queue

from alerts.gateways.africastalking import Gateway
from alerts.store import Retention, Store

#: What a failing Redis raises, for the layers that answer it (503, a polite END, a skipped
#: gauge) without importing the client library: only the store and this container know Redis.
StoreError = redis_lib.RedisError
#: Redis errors that mean "the store is away for now" (down, restarting, loading its AOF, a replica
#: during a failover), not a bug: callers get 503 and retry, never 500.
STORE_AWAY = (redis_lib.ConnectionError, redis_lib.TimeoutError, redis_lib.ReadOnlyError)

@dataclass
class Services:
    """What a request or a job needs, built once per app."""

    config: dict[str, Any]
    store: Store
    rq_redis: redis_lib.Redis
    queues: dict[str, Queue]
    _gateway: Any = field(default=None, repr=False)

    @property
    def gateway(self):
        """The SMS gateway, built on first use so the app starts without touching AT."""
        if self._gateway is None:
            self._gateway = Gateway.from_config(self.config)
        return self._gateway

    def queue(self, role: str) -> Queue:
        """The queue for 'replies', 'alerts' or 'default'."""
        return self.queues[role]


def build_services(config: dict[str, Any]) -> Services:
    """Connections and queues for one app (no network traffic yet)."""
    url = config["REDIS_URL"]
    store = Store(redis_lib.Redis.from_url(url, decode_responses=True, health_check_interval=30),
                  retention=Retention.from_config(config))
    # RQ stores pickled payloads, so it needs a connection that does not decode.
    rq_redis = redis_lib.Redis.from_url(url, health_check_interval=30)
    names = config["QUEUES"]
    roles = ("replies", "alerts", "default")
    queues = {
        role: Queue(name, connection=rq_redis, is_async=not config.get("RQ_SYNC", False))
        for role, name in zip(roles, names, strict=True)
    }
    return Services(config=config, store=store, rq_redis=rq_redis, queues=queues)


def init_app(app: Flask) -> Services:
    """Attach Baara's services to an app."""
    services = build_services(app.config)
    app.extensions["baara"] = services
    return services


def current_services() -> Services:
    """The services of the running app."""
    return current_app.extensions["baara"]
