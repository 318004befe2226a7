"""What every gateway shares: message statuses, a recipient's result, typed gateway errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

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
    """A gateway that takes one recipient per request (Orange, SMSGate): `_send_to` each."""

    def _send_to(self, message: str, phone: str) -> SendResult:
        raise NotImplementedError

    def send_one(self, message: str, phone: str) -> SendResult:
        """Send one SMS to one phone number."""
        return self.send(message, [phone])[0]

    def request_size(self, kind: object = None) -> int:
        """One recipient a request: a caller recording as it goes records each one."""
        return 1

    def send(self, message: str, recipients: Sequence[str]) -> list[SendResult]:
        """One request per recipient; one result per recipient, in input order."""
        results: list[SendResult] = []
        for phone in recipients:
            try:
                results.append(self._send_to(message, phone))
            except GatewayError as exc:
                exc.results = results  # those sent before the failure, for the caller
                raise
        return results
