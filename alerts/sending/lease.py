"""A fan-out batch's lease, kept alive while its run is legitimately busy.

A batch under AT_MAX_TPS waits for room before each request, and a slow gateway can hold one
request for seconds: either can outlast FANOUT_LEASE_SECONDS. A lapsed lease lets the sweeper
hand the batch to another run while this one still sends, so a heartbeat thread renews it every
third of its length for as long as the run is alive (a killed worker's heartbeat dies with it,
so the sweeper still recovers its batch). Renewal is compare-and-set on our token: once the
lease is someone else's it stays lost, and `keep()`, asked before every request, says so.
"""

from __future__ import annotations

import logging
import secrets
import threading

from alerts.store import Store

log = logging.getLogger(__name__)


class BatchLease:
    """The lock on batch n (or 'plan') of a job's fan-out, held by this run."""

    def __init__(self, store: Store, job_id: str, n: int | str, seconds: int) -> None:
        self.store = store
        self.job_id = job_id
        self.n = n
        self.seconds = max(1, seconds)
        self.token = secrets.token_hex(8)
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lease (SET NX EX) and start the heartbeat; False when another run holds it."""
        if not self.store.acquire_fanout_lease(self.job_id, self.n, self.token, self.seconds):
            return False
        self._beat = threading.Thread(
            target=self._heartbeat, name=f"lease-{self.job_id}-{self.n}", daemon=True
        )
        self._beat.start()
        return True

    def keep(self) -> bool:
        """Renew the lease now; False (and lost for good) once it is no longer ours.

        Asked right before each request (and at each look for room under AT_MAX_TPS), never
        answered from a cache: a run that lost its batch must not send even one more request.
        """
        if self._lost.is_set():
            return False
        if self.store.renew_fanout_lease(self.job_id, self.n, self.token, self.seconds):
            return True
        self._lost.set()
        log.warning("job %s batch %s: lease lost, this run sends nothing more", self.job_id, self.n)
        return False

    def release(self) -> None:
        """Stop the heartbeat and give the lease back if it is still ours."""
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)
        self.store.release_fanout_lease(self.job_id, self.n, self.token)

    def _heartbeat(self) -> None:
        # Renew well before the lease runs out: a third of it, so two beats may be late.
        while not self._stop.wait(self.seconds / 3):
            try:
                if not self.keep():
                    return
            except Exception:  # Redis away for a moment: the next beat tries again
                log.warning("job %s batch %s: lease renewal failed", self.job_id, self.n)
