"""A simulated Africa's Talking SMS API and a phone simulator page, for development and tests.

`SimulatedAT` answers like AT's `POST /version1/messaging` (same form fields, same JSON, same
quirks) and hands every accepted message to a `record` callable instead of a phone. Mounted in
the app (`at_blueprint`), it also posts AT-style delivery reports back to `/sms/delivery`.

`/simulator` (`phone_blueprint`) is a basic phone in the browser: it dials the USSD code and
texts Baara through the real webhooks, and shows what the simulated gateway delivered to it.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
)

from alerts.domain.phones import try_normalize
from alerts.store import current_store
from alerts.web.admin.core import current_account, require_login, secure_headers

log = logging.getLogger(__name__)

PRICE_PER_SEGMENT = 25
CURRENCY = "XOF"
AUTH_ERROR = "The supplied authentication is invalid"

# E.164: a country code never starts with 0, at most 15 digits in all.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def segments(message: str) -> int:
    """Number of SMS parts AT bills for this message (GSM-7 160/153, else UCS-2 70/67)."""
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in message):
        septets = [2 if c in _GSM7_EXTENSION else 1 for c in message]
        single, part = 160, 153
    else:
        # UCS-2 counts UTF-16 code units: characters outside the BMP take two.
        septets = [2 if ord(c) > 0xFFFF else 1 for c in message]
        single, part = 70, 67
    if sum(septets) <= single:
        return 1
    count, used = 1, 0
    for width in septets:
        # A part never splits an escape pair or a surrogate pair.
        if used + width > part:
            count, used = count + 1, 0
        used += width
    return count


def _money(amount: float) -> str:
    return f"{CURRENCY} {amount:.4f}"


class SimulatedAT:
    """AT's SMS sending endpoint as pure logic: form and headers in, (status, body) out."""

    def __init__(
        self,
        record: Callable[[dict], None],
        *,
        api_key: str | None = None,
        username: str | None = None,
        blacklist: Iterable[str] = frozenset(),
        fail_every: int = 0,
        delay: float = 0.0,
    ) -> None:
        self.record = record
        self.api_key = api_key
        self.username = username
        self.blacklist = set(blacklist)
        self.fail_every = fail_every
        self.delay = delay
        self._lock = threading.Lock()
        self._requests = 0
        self._accepted = 0

    @property
    def requests(self) -> int:
        """Requests handled so far, failures included."""
        with self._lock:
            return self._requests

    @property
    def accepted(self) -> int:
        """Recipients accepted (and recorded) so far."""
        with self._lock:
            return self._accepted

    def handle(
        self, form: Mapping[str, str], headers: Mapping[str, str]
    ) -> tuple[int, dict | str]:
        """Answer one `POST /version1/messaging` as AT would."""
        if self.delay > 0:
            time.sleep(self.delay)
        with self._lock:
            self._requests += 1
            nth = self._requests
        if self.fail_every and nth % self.fail_every == 0:
            return 500, "Internal Server Error"
        if self.api_key is not None and not _same(_header(headers, "apiKey"), self.api_key):
            return 401, AUTH_ERROR
        if self.username is not None and form.get("username") and not _same(
            form.get("username"), self.username
        ):
            return 401, AUTH_ERROR
        for field in ("username", "to", "message"):
            if not form.get(field):
                return 400, f"Request is missing required form field '{field}'"

        message = form["message"]
        parts = segments(message)
        numbers = [n.strip() for n in form["to"].split(",") if n.strip()]
        # Per request, not per recipient: a bulk send is hundreds of numbers for one text.
        cost = _money(parts * PRICE_PER_SEGMENT)
        at = datetime.now(UTC).isoformat()
        sender = form.get("from")
        prefix = f"ATXid_{uuid.uuid4().hex[:20]}"
        recipients = []
        for i, number in enumerate(numbers):
            if not _E164.fullmatch(number):
                recipients.append(_refused(number, 403, "InvalidPhoneNumber"))
            elif number in self.blacklist:
                recipients.append(_refused(number, 406, "UserInBlacklist"))
            else:
                message_id = f"{prefix}{i:04x}"
                recipients.append(
                    {
                        "cost": cost,
                        "messageId": message_id,
                        "messageParts": parts,
                        "number": number,
                        "status": "Success",
                        "statusCode": 101,
                    }
                )
                self.record(
                    {"id": message_id, "to": number, "from": sender, "message": message, "at": at}
                )
        sent = sum(r["statusCode"] == 101 for r in recipients)
        with self._lock:
            self._accepted += sent
        # AT writes a bare "0" when nothing was charged.
        total = _money(sent * parts * PRICE_PER_SEGMENT) if sent else "0"
        return 201, {
            "SMSMessageData": {
                "Message": f"Sent to {sent}/{len(numbers)} Total Cost: {total}",
                "Recipients": recipients,
            }
        }


def _refused(number: str, code: int, status: str) -> dict:
    # As AT answers it: messageId is the string "None" and cost "0".
    return {"cost": "0", "messageId": "None", "number": number, "status": status,
            "statusCode": code}


def _same(given: str | None, expected: str) -> bool:
    # Constant time, as the real key check must be: this endpoint may be reachable (SIMULATOR=1).
    return hmac.compare_digest((given or "").encode(), expected.encode())


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def to_response(status: int, body: dict | str) -> Response:
    """Flask response for a SimulatedAT answer, typed exactly as AT types it."""
    if isinstance(body, dict):
        # The SDK parses JSON only when Content-Type is exactly "application/json": passing
        # content_type (not mimetype) keeps Werkzeug from appending "; charset=utf-8".
        return Response(json.dumps(body), status=status, content_type="application/json")
    return Response(body, status=status, content_type="text/plain")


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
                    api_key=app.config.get("AT_API_KEY") or None,
                    username=app.config.get("AT_USERNAME") or None,
                )
    return sim


def _record_in_store(message: dict) -> None:
    # Imported here so this module (and the gateway tests) work without the store.

    current_store().record_simulated(message)


@at_blueprint.post("/simulator/at/version1/messaging")
def messaging() -> Response:
    """Simulated AT send endpoint: the development gateway's AT_API_URL points here."""
    status, body = _simulated_at().handle(request.form, request.headers)
    if status == 201 and isinstance(body, dict):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        _report_deliveries(app, body["SMSMessageData"]["Recipients"])
    return to_response(status, body)


# -- delivery reports ------------------------------------------------------------------------

#: Seconds between accepting a message and "delivering" it, as a phone network would.
DELIVERY_DELAY = 1.0
#: A number ending in 00 plays a phone that is switched off: its report says Failed.
ABSENT_SUFFIX = "00"


def _report_deliveries(app: Flask, recipients: list[dict]) -> None:
    """Post AT-style delivery reports for accepted messages to the app's own webhook, later."""
    accepted = [r for r in recipients if r.get("statusCode") == 101]
    if not accepted or "sms" not in app.blueprints:
        return

    def deliver() -> None:
        client = app.test_client()
        key = app.config.get("WEBHOOK_TOKEN") or ""
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
                    answer = client.post("/sms/delivery", data=form,
                                         query_string={"key": key} if key else None)
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


# -- the phone simulator page ----------------------------------------------------------------

phone_blueprint = Blueprint(
    "simulator", __name__, url_prefix="/simulator", template_folder="../web/admin/templates"
)

#: The number the simulator starts with (a valid Malian mobile number nobody owns).
DEMO_PHONE = "+22370000001"
NETWORK_CODE = "61002"


@phone_blueprint.before_request
def _phone_guard():
    # Off in production unless SIMULATOR=1, and then for signed-in admins only: the page can
    # send texts to Baara as any number (a poster could otherwise stop or enroll anyone).
    if current_app.config.get("BAARA_ENV") == "production":
        refused = require_login()
        if refused is not None:
            return refused
        account = current_account()
        if account is None or not account.is_admin:
            abort(403)
    return None


@phone_blueprint.after_request
def _phone_headers(response: Response) -> Response:
    return secure_headers(response)


def _phone_arg(raw: str | None) -> str | None:
    return try_normalize(raw or "")


def _json_error(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify({"error": message}), status


@phone_blueprint.get("", strict_slashes=False)
def phone_page():
    """A basic phone: dial the USSD code, text Baara, read what Baara sent to this number."""
    phone = _phone_arg(request.args.get("phone")) or DEMO_PHONE
    return render_template(
        "simulator/phone.html",
        phone=phone,
        ussd_code=current_app.config.get("USSD_CODE", ""),
        shortcode=current_app.config.get("AT_SHORTCODE") or "BAARA",
        absent_suffix=ABSENT_SUFFIX,
    )


def _forward(path: str, form: dict) -> Response:
    # Through the real webhook, in-process, exactly as Africa's Talking would call it.
    key = current_app.config.get("WEBHOOK_TOKEN") or ""
    client = current_app.test_client()
    return client.post(path, data=form, query_string={"key": key} if key else None,
                       environ_base={"REMOTE_ADDR": "127.0.0.1"})


@phone_blueprint.post("/sms")
def phone_sms():
    """The simulated phone texts Baara: {phone, text} -> /sms/incoming."""
    data = request.get_json(silent=True) or {}
    phone = _phone_arg(data.get("phone"))
    text = str(data.get("text") or "").strip()
    if phone is None:
        return _json_error("Numéro de téléphone invalide.")
    if not text or len(text) > 480:
        return _json_error("Message vide ou trop long.")
    answer = _forward(
        "/sms/incoming",
        {
            "from": phone,
            "to": current_app.config.get("AT_SHORTCODE") or "BAARA",
            "text": text,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "id": f"sim-{uuid.uuid4().hex}",
            "linkId": f"sim-{uuid.uuid4().hex[:12]}",
        },
    )
    if answer.status_code != 200:
        return _json_error(f"Baara a répondu {answer.status_code}.", 502)
    return jsonify({"status": "sent"})


@phone_blueprint.post("/ussd")
def phone_ussd():
    """One USSD step: {phone, session, code, text} -> /ussd; answers {text, end}."""
    data = request.get_json(silent=True) or {}
    phone = _phone_arg(data.get("phone"))
    if phone is None:
        return _json_error("Numéro de téléphone invalide.")
    code = str(data.get("code") or "").strip()
    if code != current_app.config.get("USSD_CODE"):
        return jsonify({"text": "Code USSD inconnu.", "end": True})
    session_id = str(data.get("session") or "")[:64] or f"sim-{uuid.uuid4().hex}"
    answer = _forward(
        "/ussd",
        {
            "sessionId": session_id,
            "serviceCode": code,
            "phoneNumber": phone,
            "text": str(data.get("text") or "")[:182],
            "networkCode": NETWORK_CODE,
        },
    )
    body = answer.get_data(as_text=True)
    if answer.status_code != 200 or not body.startswith(("CON ", "END ", "CON\n", "END\n")):
        return jsonify({"text": "Erreur de connexion ou code MMI invalide.", "end": True,
                        "status": answer.status_code})
    return jsonify({"text": body[4:], "end": body.startswith("END"), "session": session_id})


@phone_blueprint.get("/inbox")
def phone_inbox():
    """What the simulated gateway took for this number, newest first, and whether it arrived."""

    phone = _phone_arg(request.args.get("phone"))
    if phone is None:
        return _json_error("Numéro de téléphone invalide.")
    # The switched-off phone: the network took the messages but never delivered them.
    delivered = not phone.endswith(ABSENT_SUFFIX)
    messages = [
        {"id": m.get("id"), "from": m.get("from") or "BAARA", "text": m.get("message", ""),
         "at": m.get("at"), "delivered": delivered}
        for m in current_store().simulated_messages(phone, limit=50)
    ]
    return jsonify({"phone": phone, "messages": messages})
