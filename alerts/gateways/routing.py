"""Routing and failover across SMS gateways: which gateway carries each recipient.

A recipient goes to the gateway GATEWAY_ROUTES names for their operator (config/operators.yaml),
else to the first of GATEWAYS; a reply goes back through the gateway the person wrote to. A
gateway that fails retryably, or whose circuit breaker is open, hands the recipients it did not
take to the next gateway in GATEWAYS order. A recipient moves on only when their gateway said it
did not take them, so nobody is sent the same text by two gateways on purpose.

Pure apart from the `Ledger` it is given (the store keeps breaker state and figures in Redis).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from alerts.gateways.base import GatewayError, PermanentGatewayError, SendResult, Status
from alerts.gateways.throttle import FRESH_SECONDS, Kind, Throttle, Withdrawn
from config.settings import Settings

log = logging.getLogger(__name__)

GATEWAY_NAMES = ("africastalking", "orange", "smsgate")
OPERATORS_FILE = Path(__file__).resolve().parents[2] / "config" / "operators.yaml"


class Sender(Protocol):
    """What every gateway module's class offers."""

    def send(self, message: str, recipients: Sequence[str]) -> list[SendResult]:
        """One result per recipient, in input order; raises GatewayError."""
        ...


class Ledger(Protocol):
    """Breaker state and per-gateway figures, kept by the store."""

    def gateway_open(self, name: str) -> bool:
        """Whether the gateway's breaker is open (cooling down)."""
        ...

    def gateway_result(
        self,
        name: str,
        *,
        ok: bool,
        sent: int,
        failed: int,
        cost: float,
        failures: int,
        cooldown: float,
    ) -> None:
        """Record one request's outcome: figures, and the breaker's failure count."""
        ...

    def last_gateways(self, phones: Sequence[str]) -> list[str | None]:
        """The gateway each person last wrote to us through."""
        ...


def load_operators(path: Path = OPERATORS_FILE) -> dict[str, tuple[str, ...]]:
    """Operator -> two-digit prefixes of the 8-digit Malian number, from operators.yaml."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    table: dict[str, tuple[str, ...]] = {}
    for operator, ranges in data.items():
        prefixes: list[str] = []
        for item in ranges:
            low, _, high = str(item).partition("-")
            prefixes += [f"{n:02d}" for n in range(int(low), int(high or low) + 1)]
        table[str(operator)] = tuple(prefixes)
    return table


def operator_of(phone: str, operators: Mapping[str, tuple[str, ...]]) -> str | None:
    """The Malian operator of an E.164 number (+223XXXXXXXX), or None."""
    if not (phone.startswith("+223") and len(phone) == 12):
        return None
    prefix = phone[4:6]
    return next((op for op, prefixes in operators.items() if prefix in prefixes), None)


def parse_routes(value: str) -> dict[str, str]:
    """GATEWAY_ROUTES 'orange=orange,moov=smsgate' -> {'orange': 'orange', 'moov': 'smsgate'}."""
    routes = {}
    for pair in value.split(","):
        operator, _, gateway = (x.strip().lower() for x in pair.partition("="))
        if operator and gateway:
            routes[operator] = gateway
    return routes


def parse_gateways(value: str) -> list[str]:
    """GATEWAYS 'orange, smsgate' -> ['orange', 'smsgate'] (failover order)."""
    return [n.strip().lower() for n in value.split(",") if n.strip()]


@dataclass(frozen=True)
class Policy:
    """How the router routes and when a breaker opens."""

    order: tuple[str, ...]
    routes: Mapping[str, str]
    operators: Mapping[str, tuple[str, ...]]
    failures: int = 3
    cooldown: float = 60.0
    prices: Mapping[str, float] | None = None

    def chain(self, phone: str, preferred: str | None = None) -> list[str]:
        """The gateways to try for this number, first choice first."""
        first = preferred if preferred in self.order else None
        if first is None:
            operator = operator_of(phone, self.operators)
            first = self.routes.get(operator or "") or self.order[0]
        return [first, *(g for g in self.order if g != first)]


class Router:
    """A gateway made of gateways: routes each recipient, fails over, records per gateway."""

    name = "router"

    def __init__(
        self,
        members: Mapping[str, Sender | Callable[[], Sender]],
        policy: Policy,
        ledger: Ledger | None = None,
    ) -> None:
        self._members = dict(members)
        self.policy = policy
        self.ledger = ledger
        # Per thread (the reply sender's threads share this router): is the send under way a
        # reply, and on which gateway has it taken its place under that gateway's limit already?
        self._local = threading.local()

    def member(self, name: str) -> Sender:
        """The gateway called `name`, built on first use (a bad config fails only its sends)."""
        member = self._members[name]
        if callable(member) and not hasattr(member, "send"):
            member = member()
            self._members[name] = member
        return member

    def throttle_of(self, name: str) -> Throttle | None:
        """The messages-per-second limit on gateway `name` (AT_MAX_TPS, ORANGE_MAX_TPS), if any."""
        return getattr(self.member(name), "throttle", None)

    def request_size(self, name: str, kind: Kind) -> int | None:
        """The most recipients gateway `name` takes in one request of `kind` (AT: its batch, or
        its limit's chunk; Orange and SMSGate: one), None when it does not say."""
        sizer = getattr(self.member(name), "request_size", None)
        return max(1, sizer(kind)) if sizer is not None else None

    def reply_routes(self, phones: Sequence[str]) -> dict[str, str]:
        """The gateway each reply tries first: the one the person wrote through if it can send,
        else their operator's route, else the default."""
        if len(self.policy.order) == 1:
            return dict.fromkeys(phones, self.policy.order[0])
        last = self._safe(lambda: self.ledger.last_gateways(phones) if self.ledger else None)
        written = last if last is not None else [None] * len(phones)
        return {p: self._first(p, g) for p, g in zip(phones, written, strict=True)}

    def _first(self, phone: str, preferred: str | None = None) -> str:
        """The gateway a message to `phone` tries first."""
        if len(self.policy.order) == 1:
            return self.policy.order[0]
        return self.policy.chain(phone, preferred)[0]

    def send_replies(
        self,
        message: str,
        routes: Mapping[str, str],
        *,
        counted_on: str | None = None,
        counted_at: float = 0.0,
    ) -> list[SendResult]:
        """Send one reply text to several people ({phone: first gateway}, from reply_routes),
        failing over like alerts; `counted_on`: the gateway under whose messages-per-second
        limit they took their place at `counted_at` (time.monotonic()). One result per phone,
        in order."""
        self._local.reply = (True, counted_on, counted_at)
        try:
            return self._route(message, list(routes), routes)
        finally:
            self._local.reply = (False, None, 0.0)

    def send_one(self, message: str, phone: str) -> SendResult:
        """Send a reply to one person, through the gateway they wrote to when it can send."""
        return self.send_replies(message, self.reply_routes([phone]))[0]

    def plan_requests(self, phones: Sequence[str]) -> list[list[str]]:
        """Alert recipients cut into the requests to make, in order: grouped by the gateway each
        goes to first, each group cut to what that gateway takes in one request (AT: a batch, or
        AT_MAX_TPS's chunk; Orange and SMSGate: one). A caller recording each request's outcome
        before the next leaves at most one request unrecorded if it dies."""
        groups: dict[str, list[str]] = {}
        for phone in phones:
            groups.setdefault(self._first(phone), []).append(phone)
        requests: list[list[str]] = []
        for name, group in groups.items():
            size = self.request_size(name, Kind.ALERT) or len(group)
            requests += [group[i : i + size] for i in range(0, len(group), size)]
        return requests

    def send(self, message: str, recipients: Sequence[str]) -> list[SendResult]:
        """Send to many: split per gateway, fail over; one result per recipient, in order."""
        if isinstance(recipients, str):
            raise TypeError("recipients must be a sequence of phone numbers, not a str")
        return self._route(message, list(recipients), {})

    def _route(
        self, message: str, phones: list[str], preferred: Mapping[str, str | None]
    ) -> list[SendResult]:
        if len(self.policy.order) == 1:
            return self._alone(self.policy.order[0], message, phones)
        chains = {p: self.policy.chain(p, preferred.get(p)) for p in phones}
        step = dict.fromkeys(phones, 0)
        done: dict[str, SendResult] = {}
        last_error: dict[str, str] = {}
        while len(done) < len(phones):
            groups: dict[str, list[str]] = {}
            for p in phones:
                if p in done:
                    continue
                if step[p] >= len(chains[p]):
                    # Every gateway refused for now: retryable, the caller tries again later.
                    done[p] = SendResult(
                        p,
                        Status.FAILED,
                        None,
                        None,
                        last_error.get(p, "NoGatewayAvailable"),
                        True,
                        None,
                    )
                    continue
                groups.setdefault(chains[p][step[p]], []).append(p)
            try:
                for name, group in groups.items():
                    for phone, result in self._try(name, message, group, last_error).items():
                        if result is None:
                            step[phone] += 1
                        else:
                            done[phone] = result
            except Withdrawn as exc:
                # What went before the withdrawal, here or at another gateway, is recorded.
                exc.results = [*done.values(), *exc.results]
                raise
        return [done[p] for p in phones]

    def _send(self, name: str, message: str, phones: list[str]) -> list[SendResult]:
        """One member's send; one under a messages-per-second limit is told replies from alerts."""
        member = self.member(name)
        if getattr(member, "throttle", None) is None:
            return member.send(message, phones)
        reply, counted_on, counted_at = getattr(self._local, "reply", (False, None, 0.0))
        kind = Kind.REPLY if reply else Kind.ALERT
        # A place taken too long ago (a slow claim, a busy machine) may no longer be within the
        # second the gateway sees the request in: the member takes a fresh one (counting twice
        # is safe). A one-by-one member uses it for its first request only.
        fresh = time.monotonic() - counted_at <= FRESH_SECONDS
        return member.send(  # type: ignore[call-arg]
            message, phones, kind=kind, counted=counted_on == name and fresh
        )

    def _alone(self, name: str, message: str, phones: list[str]) -> list[SendResult]:
        """One gateway, nowhere to fail over to: its errors reach the caller as they are."""
        try:
            results = self._send(name, message, phones)
        except GatewayError as exc:
            self._record(name, ok=False, results=exc.results)
            raise
        except Withdrawn as exc:
            self._record(name, ok=True, results=exc.results)
            exc.results = [replace(r, gateway=name) for r in exc.results]
            raise
        self._record(name, ok=True, results=results)
        return [replace(r, gateway=name) for r in results]

    def _record(
        self, name: str, *, ok: bool, results: Sequence[SendResult | None], asked: int | None = None
    ) -> None:
        sent = sum(1 for r in results if r is not None and r.status is Status.SENT)
        failed = (len(results) if asked is None else asked) - sent
        price = (self.policy.prices or {}).get(name, 0.0)
        self._safe(
            lambda: (
                self.ledger.gateway_result(
                    name,
                    ok=ok,
                    sent=sent,
                    failed=failed,
                    cost=sent * price,
                    failures=self.policy.failures,
                    cooldown=self.policy.cooldown,
                )
                if self.ledger
                else None
            )
        )

    def _try(
        self, name: str, message: str, group: list[str], last_error: dict[str, str]
    ) -> dict[str, SendResult | None]:
        """Send a group through one gateway; None for each recipient it did not take."""
        if self._safe(lambda: self.ledger.gateway_open(name) if self.ledger else False):
            log.info("gateway %s is cooling down: %d recipients go on", name, len(group))
            last_error.update(dict.fromkeys(group, "GatewayDown"))
            return dict.fromkeys(group, None)
        started = time.perf_counter()
        error: GatewayError | None = None
        try:
            results = self._send(name, message, group)
        except GatewayError as exc:
            results, error = exc.results, exc
        except Withdrawn as exc:
            # Only those sent before it: the rest are nobody's at this gateway, yet.
            self._record(name, ok=True, results=exc.results, asked=len(exc.results))
            exc.results = [replace(r, gateway=name) for r in exc.results]
            raise
        out: dict[str, SendResult | None] = dict.fromkeys(group, None)
        for r in results:
            if r.status is Status.FAILED and r.retryable:
                last_error[r.phone] = r.reason or "Retryable"
                continue  # the next gateway may take it
            out[r.phone] = replace(r, gateway=name)
        if error is not None:
            reason = f"HTTP{error.status_code}" if error.status_code else type(error).__name__
            for phone in group:
                if out[phone] is None:
                    last_error[phone] = reason
            if isinstance(error, PermanentGatewayError) and not error.maybe_sent:
                log.warning("gateway %s refused: %s", name, error)
        ok = error is None
        self._record(name, ok=ok, results=list(out.values()))
        sent = sum(1 for r in out.values() if r is not None and r.status is Status.SENT)
        log.info(
            "gateway %s: %d of %d taken in %.0f ms%s",
            name,
            sent,
            len(group),
            (time.perf_counter() - started) * 1000,
            "" if ok else f" ({error})",
        )
        return out

    @staticmethod
    def _safe(call: Callable[[], Any]) -> Any:
        # The ledger lives in Redis: its hiccup must never stop or duplicate a send.
        try:
            return call()
        except Exception:
            log.debug("gateway ledger unavailable", exc_info=True)
            return None


def build_router(
    settings: Settings, factories: Mapping[str, Callable[[], Sender]], ledger: Ledger | None
) -> Router:
    """The Router GATEWAYS, GATEWAY_ROUTES and the breaker settings describe."""
    order = tuple(parse_gateways(settings.gateways))
    base = settings.sms_price
    prices = {
        "africastalking": base,
        "orange": settings.orange_price or base,
        "smsgate": settings.smsgate_price or base,
    }
    policy = Policy(
        order=order,
        routes=parse_routes(settings.gateway_routes),
        operators=load_operators(),
        failures=settings.gateway_failures,
        cooldown=settings.gateway_cooldown,
        prices=prices,
    )
    return Router({n: factories[n] for n in order}, policy, ledger)
