"""The store of record: the only package that talks to Redis.

`Store` (store.py) is composed of one part per aggregate; keys.py lists every key Baara
writes; the Lua scripts are lua/*.lua, loaded by scripts.py. The domain types live in
alerts/domain/ and are re-exported here so that `from alerts.store import Subscriber` keeps
working.
"""

from alerts.domain.outcomes import AlertOutcome, AlertRecord
from alerts.domain.retention import SEEN_TTL, Retention
from alerts.domain.subscribers import (
    ALL,
    InboundContext,
    Language,
    MatchPlace,
    Source,
    StoppedBy,
    Subscriber,
    SubscriberStatus,
    Subscription,
)
from alerts.store.backup import BACKUP_FORMAT, RESTORE_BATCH, BackupError, RestoreReport
from alerts.store.current import current_store
from alerts.store.fanout import ALERT_HISTORY_KEEP
from alerts.store.inbox import DEAD_KEEP, SEEN_KEEP, VERDICTS
from alerts.store.keys import (
    INBOX,
    INBOX_BUSY,
    INBOX_DEAD,
    INBOX_LEASE,
    OUT_PENDING,
    RESTORE_STATE,
)
from alerts.store.keys import METRICS_COUNT as METRICS_KEY
from alerts.store.keys import METRICS_HIST as METRICS_HIST_KEY
from alerts.store.outbox import SIM_KEEP
from alerts.store.store import Store

__all__ = [
    "ALERT_HISTORY_KEEP",
    "ALL",
    "BACKUP_FORMAT",
    "DEAD_KEEP",
    "INBOX",
    "INBOX_BUSY",
    "INBOX_DEAD",
    "INBOX_LEASE",
    "METRICS_HIST_KEY",
    "METRICS_KEY",
    "OUT_PENDING",
    "RESTORE_BATCH",
    "RESTORE_STATE",
    "SEEN_KEEP",
    "SEEN_TTL",
    "SIM_KEEP",
    "VERDICTS",
    "AlertOutcome",
    "AlertRecord",
    "BackupError",
    "InboundContext",
    "Language",
    "MatchPlace",
    "Retention",
    "RestoreReport",
    "Source",
    "StoppedBy",
    "Store",
    "Subscriber",
    "SubscriberStatus",
    "Subscription",
    "current_store",
]
