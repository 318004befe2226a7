"""The simulated Africa's Talking endpoint (development): the SDK's base URL points here.

It takes what the real API takes (`alerts/gateways/simulator.py` answers like AT), records each
message for the phone simulator, and reports deliveries a second later as a network would.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    request,
)

from alerts.gateways.simulator import ABSENT_SUFFIX, SimulatedAT, to_response
from alerts.services import services_of
from alerts.store import current_store

log = logging.getLogger(__name__)


at_blueprint = Blueprint("simulator_at", __name__)

_EXTENSION = "baara.simulated_at"
_create_lock = threading.Lock()


def _simulated_at() -> SimulatedAT:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sim = app.extensions.get(_EXTENSION)
    if sim is None:
        with _create_lock:
            sim = app.extensions.get(_EXTENSION)
            if sim is None:
                # The configured credentials, like the real AT: without them nobody may make
                # the simulated gateway "deliver" texts (and delivery reports) as Baara.
                sim = app.extensions[_EXTENSION] = SimulatedAT(
                    _record_in_store,
                    api_key=services_of(app).settings.at_api_key or None,
                    username=services_of(app).settings.at_username or None,
                )
    return sim


def _record_in_store(message: dict) -> None:
    current_store().record_simulated(message)


@at_blueprint.post("/simulator/at/version1/messaging")
def messaging() -> Response:
    """Simulated AT send endpoint: the development gateway's AT_API_URL points here."""
    # A plain dict: the simulator looks header names up without regard to case itself.
    status, body = _simulated_at().handle(request.form, dict(request.headers.items()))
    if status == 201 and isinstance(body, dict):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        _report_deliveries(app, body["SMSMessageData"]["Recipients"])
    return to_response(status, body)


# -- delivery reports ------------------------------------------------------------------------

#: Seconds between accepting a message and "delivering" it, as a phone network would.
DELIVERY_DELAY = 1.0


def _report_deliveries(app: Flask, recipients: list[dict]) -> None:
    """Post AT-style delivery reports for accepted messages to the app's own webhook, later."""
    accepted = [r for r in recipients if r.get("statusCode") == 101]
    if not accepted or "sms" not in app.blueprints:
        return

    def deliver() -> None:
        client = app.test_client()
        key = services_of(app).settings.webhook_token
        pending = list(accepted)
        # The sender links the gateway id to its alert just after our answer: retry briefly.
        for _ in range(10):
            later = []
            for r in pending:
                absent = r["number"].endswith(ABSENT_SUFFIX)
                form = {
                    "id": r["messageId"],
                    "status": "Failed" if absent else "Success",
                    "phoneNumber": r["number"],
                    "networkCode": "61002",
                    "retryCount": "0",
                }
                if absent:
                    form["failureReason"] = "AbsentSubscriber"
                try:
                    answer = client.post(
                        "/sms/delivery", data=form, query_string={"key": key} if key else None
                    )
                except Exception:  # a report is best effort, as on the real network
                    log.exception("simulated delivery report failed")
                    continue
                if (answer.get_json(silent=True) or {}).get("status") == "ignored":
                    later.append(r)
            if not later:
                return
            pending = later
            time.sleep(DELIVERY_DELAY)

    timer = threading.Timer(DELIVERY_DELAY, deliver)
    timer.daemon = True
    timer.start()
