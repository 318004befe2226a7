"""Store: Baara's data in Redis, one class composed of one part per aggregate.

Each part (alerts/store/{subscribers,jobs,fanout,...}.py) is a class over the same `redis`,
`clock` and `retention` (alerts/store/base.py); a part that needs another's methods derives
from it, so the parts that depend on others come first here.
"""

from __future__ import annotations

from alerts.store.accounts import AccountsStore
from alerts.store.audit import AuditStore
from alerts.store.backup import BackupStore
from alerts.store.conversations import ConversationsStore
from alerts.store.erasure import ErasureStore
from alerts.store.fanout import FanoutStore
from alerts.store.flood import FloodStore
from alerts.store.gateways import GatewaysStore
from alerts.store.inbox import InboxStore
from alerts.store.jobs import JobsStore
from alerts.store.metrics import MetricsStore
from alerts.store.outbox import OutboxStore
from alerts.store.relays import RelaysStore
from alerts.store.subscribers import SubscribersStore
from alerts.store.throttle import ThrottleStore
from alerts.store.ussd import UssdStore


class Store(
    ErasureStore,
    BackupStore,
    FanoutStore,
    JobsStore,
    SubscribersStore,
    RelaysStore,
    ConversationsStore,
    InboxStore,
    OutboxStore,
    UssdStore,
    FloodStore,
    AccountsStore,
    AuditStore,
    MetricsStore,
    ThrottleStore,
    GatewaysStore,
):
    """Baara's data in Redis. Takes a client created with decode_responses=True."""
