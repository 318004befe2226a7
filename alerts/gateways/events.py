"""What a gateway tells us, provider-neutral: the SMS and USSD views consume these events and
never a gateway's own field names (`alerts/gateways/at_callbacks.py` reads Africa's Talking's).

A callback that cannot be read is a `FieldProblem` (errors are data): the view renders it as a
400 naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts.gateways.base import Status


@dataclass(frozen=True)
class FieldProblem:
    """Why a callback cannot be read: the gateway's field and what is wrong with it."""

    field: str
    problem: str


@dataclass(frozen=True)
class InboundSMS:
    """One SMS a person sent us."""

    phone: str
    message_id: str
    text: str
    received_at: datetime


@dataclass(frozen=True)
class DeliveryReport:
    """What became of a message we sent; `status` None is a status we do not track."""

    message_id: str
    status: Status | None
    reason: str


@dataclass(frozen=True)
class OptOut:
    """The person opted out of our sender at their operator."""

    phone: str


@dataclass(frozen=True)
class USSDRequest:
    """One step of a USSD call: the caller, the call, and the raw answers so far."""

    phone: str
    session_id: str
    text: str


@dataclass(frozen=True)
class USSDEnd:
    """The gateway's end-of-session notice; `completed` when the call ended well."""

    phone: str
    session_id: str
    completed: bool
