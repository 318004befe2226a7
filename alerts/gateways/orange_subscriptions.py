"""Orange's notification subscriptions (GSMA OneAPI): where Orange posts the SMS people send us
and the delivery receipts of what we sent.

- inbound (MO): POST /smsmessaging/v1/inbound/subscriptions with {"subscription":
  {callbackReference{notifyURL, callbackData}, destinationAddress, criteria?, notificationFormat}}
  (the list: GET the same path; one: DELETE .../inbound/subscriptions/{id});
- delivery receipts: POST /smsmessaging/v1/outbound/{senderAddress}/subscriptions with
  {"deliveryReceiptSubscription": {callbackReference{notifyURL, callbackData}}} (the list: GET
  the same path; one: DELETE /smsmessaging/v1/outbound/subscriptions/{id}).

`ensure` makes Orange hold exactly one subscription of each kind pointing at Baara: it keeps
one that already matches, deletes Baara's stale or duplicate ones (ours carry our callbackData,
or a notifyURL on our /orange/ paths) and creates what is missing. Platforms that do not list
subscriptions still get the ones this command made last time deleted (their ids are given back
to be remembered). Other applications' subscriptions on the same account are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from alerts.gateways.base import GatewayError
from alerts.gateways.orange import OrangeGateway
from alerts.ops.logs import mask_phones

INBOUND = "inbound"
DELIVERY = "delivery"
#: Our callbackData: how we recognise our own subscriptions among an account's.
CALLBACK_DATA = {INBOUND: "baara-inbound", DELIVERY: "baara-delivery"}
#: Our callback paths (any host, any key): a subscription to one of them is ours.
OUR_PATHS = ("/orange/inbound", "/orange/delivery")
#: Answers of a list request that mean "this platform does not list subscriptions".
NO_LISTING = (404, 405, 501)


class SubscriptionError(Exception):
    """Orange refused or could not be reached: the operator's message."""


@dataclass(frozen=True)
class Existing:
    """A subscription Orange holds: its id, where it posts, its callbackData and criteria."""

    id: str
    notify_url: str
    callback_data: str
    criteria: str


@dataclass
class Outcome:
    """What `ensure` did for one kind: kept, created and deleted subscription ids."""

    kind: str
    notify_url: str
    kept: str = ""
    created: str = ""
    deleted: list[str] = field(default_factory=list)

    @property
    def current(self) -> str:
        """The id of the subscription now in place."""
        return self.kept or self.created


def callback_urls(base_url: str, key: str) -> dict[str, str]:
    """The notifyURL of each kind on the public base URL, with ?key=WEBHOOK_TOKEN when set."""
    base = base_url.rstrip("/")
    query = f"?key={quote(key, safe='')}" if key else ""
    return {INBOUND: f"{base}/orange/inbound{query}", DELIVERY: f"{base}/orange/delivery{query}"}


def _id_of(resource_url: Any) -> str:
    # The id is the last path segment; the host may be Orange's internal one, so we never
    # call a resourceURL as given but rebuild it on ORANGE_API_URL.
    return str(resource_url or "").rstrip("/").rsplit("/", 1)[-1]


def _items(body: Any, kind: str) -> list[dict[str, Any]]:
    """The subscriptions of a list answer, in the shapes OneAPI platforms use."""
    wrapper, single = (
        ("subscriptionList", "subscription")
        if kind == INBOUND
        else ("deliveryReceiptSubscriptionList", "deliveryReceiptSubscription")
    )
    if not isinstance(body, dict):
        return []
    found = body.get(wrapper, body)
    found = found.get(single, []) if isinstance(found, dict) else found
    if isinstance(found, dict):
        found = [found]
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _existing(item: dict[str, Any]) -> Existing:
    found = item.get("callbackReference")
    ref: dict[str, Any] = found if isinstance(found, dict) else {}
    return Existing(
        _id_of(item.get("resourceURL")),
        str(ref.get("notifyURL") or ""),
        str(ref.get("callbackData") or ""),
        str(item.get("criteria") or ""),
    )


def is_ours(sub: Existing, kind: str) -> bool:
    """Whether a subscription is Baara's: our callbackData, or a notifyURL on our paths."""
    path = urlsplit(sub.notify_url).path.rstrip("/")
    return sub.callback_data == CALLBACK_DATA[kind] or path.endswith(OUR_PATHS)


class Subscriptions:
    """Orange's subscription endpoints, through the gateway's token and session."""

    def __init__(self, gateway: OrangeGateway, destination: str = "") -> None:
        self.gateway = gateway
        self.destination = destination or gateway.sender_address
        self._sender = quote(gateway.sender_address, safe="")

    def _path(self, kind: str, sub_id: str = "") -> str:
        if kind == INBOUND:
            base = "/smsmessaging/v1/inbound/subscriptions"
        elif sub_id:
            base = "/smsmessaging/v1/outbound/subscriptions"
        else:
            base = f"/smsmessaging/v1/outbound/{self._sender}/subscriptions"
        return f"{base}/{quote(sub_id, safe='')}" if sub_id else base

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None):
        try:
            return self.gateway.call(method, path, body)
        except (GatewayError, requests.RequestException) as exc:
            raise SubscriptionError(str(exc)) from exc

    @staticmethod
    def _refused(what: str, response: requests.Response) -> SubscriptionError:
        text = mask_phones(response.text.strip()[:300])
        return SubscriptionError(f"Orange refused {what}: HTTP {response.status_code} {text}")

    def listed(self, kind: str) -> list[Existing] | None:
        """The subscriptions of one kind Orange holds, or None when it does not list them."""
        response = self._call("GET", self._path(kind))
        if response.status_code in NO_LISTING:
            return None
        if response.status_code != 200:
            raise self._refused(f"the {kind} subscription list", response)
        try:
            body = response.json()
        except ValueError as exc:
            raise SubscriptionError(f"Orange's {kind} subscription list is unreadable") from exc
        return [_existing(item) for item in _items(body, kind)]

    def delete(self, kind: str, sub_id: str) -> None:
        """Delete one subscription; one already gone is fine."""
        response = self._call("DELETE", self._path(kind, sub_id))
        if response.status_code not in (200, 202, 204, 404):
            raise self._refused(f"deleting {kind} subscription {sub_id}", response)

    def create(self, kind: str, notify_url: str, criteria: str = "") -> str:
        """Create one subscription; its id."""
        reference = {"notifyURL": notify_url, "callbackData": CALLBACK_DATA[kind]}
        body: dict[str, Any]
        if kind == INBOUND:
            subscription: dict[str, Any] = {
                "callbackReference": reference,
                "destinationAddress": self.destination,
                "notificationFormat": "JSON",
            }
            if criteria:
                subscription["criteria"] = criteria
            body = {"subscription": subscription}
        else:
            body = {"deliveryReceiptSubscription": {"callbackReference": reference}}
        response = self._call("POST", self._path(kind), body)
        if response.status_code not in (200, 201):
            raise self._refused(f"the {kind} subscription", response)
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        found = next(
            (
                v.get("resourceURL")
                for v in (answer.values() if isinstance(answer, dict) else [])
                if isinstance(v, dict) and v.get("resourceURL")
            ),
            None,
        )
        sub_id = _id_of(found or response.headers.get("Location"))
        if not sub_id:
            raise SubscriptionError(f"Orange's {kind} subscription answer names no resourceURL")
        return sub_id

    def ensure(
        self, kind: str, notify_url: str, criteria: str = "", remembered: tuple[str, ...] = ()
    ) -> Outcome:
        """Exactly one subscription of `kind` posting to `notify_url`, whatever was there."""
        outcome = Outcome(kind, notify_url)
        listed = self.listed(kind)
        if listed is None:
            stale = [Existing(i, "", "", "") for i in remembered]
        else:
            stale = [s for s in listed if is_ours(s, kind)]
            match = next(
                (s for s in stale if s.notify_url == notify_url and s.criteria == criteria),
                None,
            )
            if match is not None:
                outcome.kept = match.id
                stale = [s for s in stale if s is not match]
        if not outcome.kept:
            # Create first, then delete: no moment without a subscription. A platform that
            # refuses overlapping subscriptions (OneAPI SVC0008) gets the old ones deleted first.
            try:
                outcome.created = self.create(kind, notify_url, criteria)
            except SubscriptionError:
                if not stale:
                    raise
                self._delete_all(kind, stale, outcome)
                outcome.created = self.create(kind, notify_url, criteria)
        self._delete_all(kind, stale, outcome)
        return outcome

    def _delete_all(self, kind: str, stale: list[Existing], outcome: Outcome) -> None:
        for sub in stale:
            if sub.id not in outcome.deleted and sub.id != outcome.created:
                self.delete(kind, sub.id)
                outcome.deleted.append(sub.id)
