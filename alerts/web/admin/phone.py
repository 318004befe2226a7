"""The phone simulator page: a trainer texts and dials Baara as any number, and sees what the
simulated gateway (`alerts/gateways/simulator.py`) took for that number. Development only, or
signed-in admins with SIMULATOR=1.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
)
from werkzeug.test import TestResponse

from alerts.domain.phones import try_normalize
from alerts.gateways import orange
from alerts.gateways.routing import parse_gateways
from alerts.gateways.simulator import ABSENT_SUFFIX
from alerts.services import current_settings
from alerts.store import current_store
from alerts.web.admin.core import current_account, require_login, secure_headers

log = logging.getLogger(__name__)


# -- the phone simulator page ----------------------------------------------------------------

phone_blueprint = Blueprint(
    "simulator", __name__, url_prefix="/simulator", template_folder="templates"
)

#: The number the simulator starts with (a valid Malian mobile number nobody owns).
DEMO_PHONE = "+22370000001"
NETWORK_CODE = "61002"
#: The short code the phone simulator texts when AT_SHORTCODE is not set.
SIMULATED_SHORTCODE = "BAARA"
#: Gateways the simulated phone can text Baara through (SMSGate's webhooks are signed by the
#: phone app: not simulated here).
TEXT_THROUGH = ("africastalking", "orange")


@phone_blueprint.before_request
def _phone_guard():
    # Off in production unless SIMULATOR=1, and then for signed-in admins only: the page can
    # send texts to Baara as any number (a poster could otherwise stop or enroll anyone).
    if current_settings().production:
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
        gateways=_text_through(),
        ussd_code=current_settings().ussd_code,
        shortcode=current_settings().at_shortcode or SIMULATED_SHORTCODE,
        absent_suffix=ABSENT_SUFFIX,
    )


def _text_through() -> list[str]:
    """The enabled gateways the simulated phone can text through, the default first."""
    enabled = parse_gateways(current_settings().gateways)
    return [g for g in enabled if g in TEXT_THROUGH] or ["africastalking"]


def _forward(path: str, form: dict | None = None, json: dict | None = None) -> TestResponse:
    # Through the real webhook, in-process, exactly as the gateway would call it.
    key = current_settings().webhook_token
    client = current_app.test_client()
    return client.post(
        path,
        data=form,
        json=json,
        query_string={"key": key} if key else None,
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )


@phone_blueprint.post("/sms")
def phone_sms():
    """The simulated phone texts Baara: {phone, text, gateway?} -> that gateway's webhook."""
    data = request.get_json(silent=True) or {}
    phone = _phone_arg(data.get("phone"))
    text = str(data.get("text") or "").strip()
    gateway = str(data.get("gateway") or "africastalking")
    if phone is None:
        return _json_error("Numéro de téléphone invalide.")
    if not text or len(text) > 480:
        return _json_error("Message vide ou trop long.")
    if gateway not in _text_through():
        return _json_error("Passerelle non activée.")
    if gateway == orange.NAME:
        destination = current_settings().orange_sender_address or "tel:+22370000000"
        body = orange.notification(phone, text, f"sim-{uuid.uuid4().hex}", destination)
        answer = _forward("/orange/inbound", json=body)
        if answer.status_code != 200:
            return _json_error(f"Baara a répondu {answer.status_code}.", 502)
        return jsonify({"status": "sent", "gateway": gateway})
    answer = _forward(
        "/sms/incoming",
        {
            "from": phone,
            "to": current_settings().at_shortcode or SIMULATED_SHORTCODE,
            "text": text,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "id": f"sim-{uuid.uuid4().hex}",
            "linkId": f"sim-{uuid.uuid4().hex[:12]}",
        },
    )
    if answer.status_code != 200:
        return _json_error(f"Baara a répondu {answer.status_code}.", 502)
    return jsonify({"status": "sent", "gateway": gateway})


@phone_blueprint.post("/ussd")
def phone_ussd():
    """One USSD step: {phone, session, code, text} -> /ussd; answers {text, end}."""
    data = request.get_json(silent=True) or {}
    phone = _phone_arg(data.get("phone"))
    if phone is None:
        return _json_error("Numéro de téléphone invalide.")
    code = str(data.get("code") or "").strip()
    if code != current_settings().ussd_code:
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
        return jsonify(
            {
                "text": "Erreur de connexion ou code MMI invalide.",
                "end": True,
                "status": answer.status_code,
            }
        )
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
        {
            "id": m.get("id"),
            "from": m.get("from") or "BAARA",
            "text": m.get("message", ""),
            "at": m.get("at"),
            "delivered": delivered,
            "gateway": m.get("gateway") or "africastalking",
        }
        for m in current_store().simulated_messages(phone, limit=50)
    ]
    return jsonify({"phone": phone, "messages": messages})
