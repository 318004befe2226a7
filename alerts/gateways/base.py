"""What every gateway shares: message statuses, a recipient's result, typed gateway errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from alerts.gateways.throttle import Kind, Throttle, Withdrawn

#: AT's per-recipient code for a number that opted out of our sender ID at the operator.
BLACKLISTED_CODE = 406


class Status(StrEnum):
    """Baara's own message statuses, whatever the provider (a str: "sent" == Status.SENT)."""

    QUEUED = "queued"
    SENT = "sent"  # accepted by the gateway
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class SendResult:
    """What happened to one recipient of a send."""

    phone: str
    status: Status
    message_id: str | None
    cost: str | None
    reason: str | None
    retryable: bool
    at_code: int | None
    gateway: str = ""  # which gateway carried it (set by alerts/gateways/routing.py)

    @property
    def blacklisted(self) -> bool:
        """The person opted out of our sender ID at the operator."""
        return self.at_code == BLACKLISTED_CODE


class GatewayError(Exception):
    """A whole batch could not be sent; `results` holds the batches that went through."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        results: Sequence[SendResult] = (),
        status_code: int | None = None,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(message)
        self.results: list[SendResult] = list(results)
        self.status_code = status_code
        # True when AT may have accepted the failing batch although we never saw its answer.
        self.maybe_sent = maybe_sent


class RetryableGatewayError(GatewayError):
    """Worth trying again later: AT or the network had a problem."""

    retryable = True


class PermanentGatewayError(GatewayError):
    """Trying again cannot help until someone fixes the request or the configuration."""

    retryable = False


class OneByOne:
    """A gateway that takes one recipient per request (Orange, SMSGate): `_send_to` each.

    Under a messages-per-second limit (`throttle`, set by alerts/services.py) each recipient
    takes its place right before its own request: places taken for a whole group up front would
    be stale by the later requests of a slow gateway, and the window would let more through.
    """

    throttle: Throttle | None = None

    def _send_to(self, message: str, phone: str) -> SendResult:
        raise NotImplementedError

    def send_one(self, message: str, phone: str, *, counted: bool = False) -> SendResult:
        """Send one SMS to one phone number (`counted`: its place under the limit is taken)."""
        return self.send(message, [phone], kind=Kind.REPLY, counted=counted)[0]

    def request_size(self, kind: object = None) -> int:
        """One recipient a request: a caller recording as it goes records each one."""
        return 1

    def send(
        self,
        message: str,
        recipients: Sequence[str],
        *,
        kind: Kind = Kind.ALERT,
        counted: bool = False,
    ) -> list[SendResult]:
        """One request per recipient; one result per recipient, in input order. `counted`: the
        caller took the first recipient's place under the limit just now (the router's check)."""
        results: list[SendResult] = []
        for number, phone in enumerate(recipients):
            try:
                if self.throttle is not None and not (counted and number == 0):
                    self.throttle.acquire(1, kind)
                results.append(self._send_to(message, phone))
            except (GatewayError, Withdrawn) as exc:
                exc.results = results  # those sent before, for the caller to record
                raise
        return results
