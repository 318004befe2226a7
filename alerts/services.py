"""The per-app services: Redis connections, the store, RQ queues, the SMS gateway."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any
from urllib.parse import unquote, urlparse

import redis as redis_lib
from flask import Flask, current_app
from redis.sentinel import Sentinel
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus as RQStatus
from rq.registry import ScheduledJobRegistry

from alerts.domain.retention import Retention
from alerts.gateways import throttle
from alerts.gateways.africastalking import Gateway
from alerts.gateways.orange import OrangeGateway
from alerts.gateways.routing import Router, Sender, build_router
from alerts.gateways.smsgate import SMSGateGateway
from alerts.store import Store
from config.settings import Settings

#: What a failing Redis raises, for the layers that answer it (503, a polite END, a skipped
#: gauge) without importing the client library: only the store and this container know Redis.
StoreError = redis_lib.RedisError
#: Redis errors that mean "the store is away for now" (down, restarting, loading its AOF, a replica
#: during a failover), not a bug: callers get 503 and retry, never 500.
STORE_AWAY = (redis_lib.ConnectionError, redis_lib.TimeoutError, redis_lib.ReadOnlyError)


@dataclass
class Services:
    """What a request or a job needs, built once per app."""

    settings: Settings
    store: Store
    rq_redis: redis_lib.Redis
    queues: dict[str, Queue]
    _gateway: Any = field(default=None, repr=False)

    @property
    def gateway(self) -> Router:
        """The SMS gateways of GATEWAYS behind one router, built on first use (no traffic)."""
        if self._gateway is None:
            settings, store = self.settings, self.store

            def africastalking() -> Gateway:
                gateway = Gateway.from_settings(settings)
                gateway.throttle = throttle.from_settings(store, settings)
                return gateway

            def orange() -> OrangeGateway:
                gateway = OrangeGateway.from_settings(settings)
                gateway.throttle = throttle.from_settings(store, settings, "orange")
                return gateway

            factories: dict[str, Callable[[], Sender]] = {
                "africastalking": africastalking,
                "orange": orange,
                "smsgate": lambda: SMSGateGateway.from_settings(settings),
            }
            self._gateway = build_router(settings, factories, store)
        return self._gateway

    def queue(self, role: str) -> Queue:
        """The queue for 'replies', 'alerts' or 'default'."""
        return self.queues[role]


def sentinel_addresses(value: str) -> list[tuple[str, int]]:
    """'host:port,host:port' (REDIS_SENTINELS) -> [(host, port), ...]; empty -> []."""
    addresses = []
    for item in (value or "").split(","):
        if item.strip():
            host, _, port = item.strip().rpartition(":")
            addresses.append((host.strip("[]"), int(port)))
    return addresses


def redis_clients(settings: Settings) -> tuple[redis_lib.Redis, redis_lib.Redis]:
    """Two clients for Baara's Redis, (decoding, binary): at REDIS_URL, or, with
    REDIS_SENTINELS, at whichever server the sentinels name master of REDIS_SENTINEL_MASTER
    (REDIS_URL then gives only the database number, user and password)."""
    url = settings.redis_url
    sentinels = sentinel_addresses(settings.redis_sentinels)
    if not sentinels:
        return (
            redis_lib.Redis.from_url(url, decode_responses=True, health_check_interval=30),
            redis_lib.Redis.from_url(url, health_check_interval=30),
        )
    parts = urlparse(url)
    auth = {
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }
    db = int(parts.path.strip("/") or 0)
    # Short timeouts towards the sentinels: a dead one is skipped for the next in the list.
    sentinel = Sentinel(
        sentinels,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        sentinel_kwargs={"socket_timeout": 1.0, "socket_connect_timeout": 1.0},
    )
    master = settings.redis_sentinel_master
    # socket_connect_timeout: a primary that died with its machine must not hang a request.
    common = {"db": db, "health_check_interval": 30, "socket_connect_timeout": 2.0, **auth}
    return (
        sentinel.master_for(master, decode_responses=True, **common),
        sentinel.master_for(master, **common),
    )


def build_services(settings: Settings) -> Services:
    """Connections and queues for one app (no network traffic yet)."""
    # RQ stores pickled payloads, so it needs a connection that does not decode.
    text_redis, rq_redis = redis_clients(settings)
    store = Store(text_redis, retention=Retention.from_settings(settings))
    roles = ("replies", "alerts", "default")
    queues = {
        role: Queue(name, connection=rq_redis, is_async=not settings.rq_sync)
        for role, name in zip(roles, settings.queues, strict=True)
    }
    return Services(settings=settings, store=store, rq_redis=rq_redis, queues=queues)


def init_app(app: Flask, settings: Settings) -> Services:
    """Attach Baara's services, built from these settings, to an app."""
    services = build_services(settings)
    app.extensions["baara"] = services
    return services


def services_of(app: Flask) -> Services:
    """The services of this app (before or outside a request)."""
    return app.extensions["baara"]


def current_services() -> Services:
    """The services of the running app."""
    return current_app.extensions["baara"]


def current_settings() -> Settings:
    """The settings of the running app."""
    return current_services().settings


def rq_job_waiting(
    services: Services, role: str, rq_id: str | None, lease: int, now: float
) -> bool:
    """Whether RQ will surely still run (or is running) this job of the `role` queue.

    False means "looks lost": not queued, not scheduled for later, not started recently. That
    includes a few milliseconds of every healthy run (dequeued, not started yet), hence the
    sweeps' second look before they act.
    """
    if not rq_id:
        return False
    try:
        rq_job = RQJob.fetch(rq_id, connection=services.rq_redis)
    except NoSuchJobError:
        return False
    status = rq_job.get_status(refresh=False)
    if status == RQStatus.DEFERRED:
        return True
    if status == RQStatus.QUEUED:
        # Not in the list: a worker took it; it may have died before starting it (RQ would
        # only notice after a minute in its intermediate queue, at its next maintenance).
        return services.rq_redis.lpos(services.queue(role).key, rq_id) is not None
    if status == RQStatus.SCHEDULED:
        registry = ScheduledJobRegistry(queue=services.queue(role))
        try:
            when = registry.get_scheduled_time(rq_job)
        except NoSuchJobError:
            return False
        return when.timestamp() > now - lease  # later than that: no scheduler is running
    if status == RQStatus.STARTED and rq_job.started_at is not None:
        started = rq_job.started_at
        if started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        # Just started and not holding its lease yet; else its worker died.
        return started.timestamp() > now - lease
    return False


def unschedule(services: Services, role: str, rq_id: str | None) -> None:
    """Make sure a late scheduled job of the `role` queue does not also run later."""
    if not rq_id:
        return
    registry = ScheduledJobRegistry(queue=services.queue(role))
    with contextlib.suppress(NoSuchJobError):
        registry.remove(rq_id)
