"""USSD calls: the record a call resumes from, the jobs it looks at, one trip per answer."""

from __future__ import annotations

import alerts.store.keys as keys
from alerts.domain.subscribers import Subscriber
from alerts.store.base import StoreBase
from alerts.store.subscribers import unpack

# A call's record is "{session id}\n{first screen}\n{answers}", plus "\nend" once it ended:
# the menu replays the answers from the first screen, so one round trip per answer both reads
# the caller and moves the record on (ussd_request_*.lua). The open-jobs snapshot is
# "{session id}\n{data}".


class UssdStore(StoreBase):
    """USSD calls: part of Store."""

    def ussd_request(
        self,
        phone: str,
        session_id: str,
        answers: str | None,
        first_known: str,
        first_new: str,
        ttl: int,
        *,
        limit: int,
        window: int,
        metric: str,
    ) -> tuple[int, Subscriber | None, tuple[str, str, str, bool] | None, tuple[str, str] | None]:
        """One USSD answer's whole round trip: count it (flood control, metrics), read the
        caller, its last call and that call's jobs, and move the call's record on: a new dial
        (answers None) records its start unless another call is going on; an answer is
        recorded if this call is the one recorded and has not ended. Returns (count, subscriber,
        call, jobs); count is -2 while the number is muted, 0 with flood control off. Calls
        are (session id, first screen, answers, ended), jobs (session id, data)."""
        key, fld = keys.subscriber(phone)
        slot = self.now() // window
        names = (
            key,
            keys.ussd_call(phone),
            keys.ussd_jobs(phone),
            keys.muted("ussd", phone),
            keys.rate("ussd", phone, slot),
            keys.METRICS_COUNT,
        )
        args: tuple[object, ...]
        if answers is None:
            name, args = "ussd_request_begin", (session_id, first_known, first_new, ttl)
        else:
            name, args = "ussd_request_step", (session_id, answers, ttl)
        # Flood control and the request count ride in the same script: one EVALSHA in all.
        counted, *found = self.script(name)(
            keys=names, args=(fld, *args, limit, window * 2, metric)
        )
        return (int(counted), *self._ussd_read(phone, *found))

    def save_ussd_call(
        self, phone: str, session_id: str, first: str, answers: str, ttl: int
    ) -> None:
        """Remember a call: its session id, the screen it began on, its answers (ttl seconds)."""
        if "\n" in session_id + first + answers.removesuffix("\nend"):
            raise ValueError("a USSD call record is three lines")
        self.redis.set(keys.ussd_call(phone), f"{session_id}\n{first}\n{answers}", ex=ttl)

    def end_ussd_call(
        self, phone: str, session_id: str, first: str, answers: str, ttl: int
    ) -> None:
        """Remember that a call ended on these answers: nothing to resume, nothing to redo."""
        self.save_ussd_call(phone, session_id, first, answers + "\nend", ttl)

    def save_ussd_jobs(self, phone: str, session_id: str, data: str, ttl: int) -> None:
        """Keep the open jobs a call is looking at, so their numbers hold during the call."""
        self.redis.set(keys.ussd_jobs(phone), f"{session_id}\n{data}", ex=ttl)

    def drop_ussd_call(self, phone: str, session_id: str | None = None) -> None:
        """Forget a number's last call (only if it is still session_id, when given)."""
        names = (keys.ussd_call(phone), keys.ussd_jobs(phone))
        if session_id is None:
            self.redis.delete(*names)
        else:
            self.script("ussd_drop")(keys=names, args=(session_id,))

    def _ussd_read(
        self, phone: str, packed: str | None, call: str | None, jobs: str | None
    ) -> tuple[Subscriber | None, tuple[str, str, str, bool] | None, tuple[str, str] | None]:
        parts = call.split("\n", 3) if call else []
        ended = len(parts) == 4 and parts[3] == "end"
        saved = jobs.split("\n", 1) if jobs else []
        return (
            unpack(phone, packed) if packed else None,
            (parts[0], parts[1], parts[2], ended) if len(parts) == 3 or ended else None,
            (saved[0], saved[1]) if len(saved) == 2 else None,
        )
