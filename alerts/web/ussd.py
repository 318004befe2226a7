"""The USSD webhook: the thin glue around the pure menu (`alerts/ussd/menu.py`).

One Redis round trip per answer (a small script reads the caller and moves the call's record on),
the menu, the effects. The call's record (session id, first screen, answers) lives SESSION_TTL
seconds; a caller cut off mid-way who dials again meanwhile is asked whether to continue.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import replace

from flask import Blueprint, Response, current_app, jsonify, request

from alerts.domain.subscribers import Language, Source, Subscriber, Subscription
from alerts.gateways import at_callbacks
from alerts.gateways.events import FieldProblem
from alerts.jobs import lifecycle as jobs
from alerts.jobs.lifecycle import app_places
from alerts.ops import metrics
from alerts.sending.outbox import queue_sms
from alerts.services import StoreError, current_services, current_settings
from alerts.sms import abuse
from alerts.ussd.menu import (
    screen,
    split_path,
)
from alerts.ussd.state import (
    JOBS_SNAPSHOT,
    MAX_ANSWERS,
    OPEN_JOBS_FRESH,
    SESSION_TTL,
    Call,
    Context,
    Frame,
    JobView,
    Kind,
    ResumeAlerts,
    Screen,
    SendJob,
    SetLanguage,
    State,
    StopAll,
    Subscribe,
    Unsubscribe,
    stack_to_json,
)
from alerts.web.auth import check_webhook_key
from alerts.web.errors import bad_request
from config.reference import Reference
from messages import ussd as texts

log = logging.getLogger(__name__)


# -- the webhook ------------------------------------------------------------------------------

bp = Blueprint("ussd", __name__, url_prefix="/ussd")

#: Said when the store is down: the caller gets a sentence rather than the network's error.


def _context() -> Context:
    ext = current_app.extensions
    ctx = ext.get("baara.ussd")
    ref = ext["baara.reference"]
    if ctx is None or ctx.reference is not ref:
        ctx = Context(ref, app_places(ref), current_settings().ussd_code)
        ext["baara.ussd"] = ctx
    return ctx


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


_HOME_JSON = _json(Frame(Kind.HOME).to_json())
_LANGUAGE_FIRST_JSON = _json(Frame(Kind.LANGUAGE_FIRST).to_json())


def _text_reply(body: str) -> Response:
    return Response(body, status=200, mimetype="text/plain")


def base_state(subscriber: Subscriber | None) -> State:
    """What the menu knows of a caller from their subscriber record."""
    if subscriber is None:
        return State()
    return State(
        language=subscriber.language,
        subscriptions=subscriber.subscriptions,
        active=subscriber.active,
    )


def _frame(text: str) -> Frame | None:
    try:
        return Frame.from_json(json.loads(text))
    except (ValueError, TypeError):
        return None


def _answers(text: str) -> tuple[str, ...] | None:
    try:
        answers = json.loads(text)
    except ValueError:
        return None
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        return None
    return tuple(answers)


def _snapshot(
    saved: tuple[str, str] | None, session_id: str, lang: Language
) -> tuple[JobView, ...] | None:
    """The open jobs this call already looked at, in its language, if any."""
    if saved is None or saved[0] != session_id:
        return None
    try:
        data = json.loads(saved[1])
        if data["lang"] != lang.value:
            return None
        return tuple(JobView.from_json(j) for j in data["jobs"])
    except (ValueError, TypeError, KeyError):
        return None


def first_screen(
    state: State,
    last: Call | None,
    last_jobs: tuple[str, str] | None,
    ctx: Context,
) -> Frame:
    """Where a new call begins: an offer to continue the last call if it was cut off mid-way."""
    home = Frame(Kind.HOME) if state.language else Frame(Kind.LANGUAGE_FIRST)
    if last is None or last.ended or (answers := _answers(last.answers)) is None:
        return home
    lang = state.language or Language.FR
    then = replace(
        state, first=_frame(last.first), jobs=_snapshot(last_jobs, last.session_id, lang) or ()
    )
    where = screen(then, answers, ctx)
    if not where.resumable:
        return home
    return Frame(Kind.RESUME, json.dumps(stack_to_json(where.stack), separators=(",", ":")))


def load_jobs(subscriber: Subscriber | None, lang: Language) -> tuple[JobView, ...]:
    """Open jobs, newest first: those the subscriber's alerts cover, then the others."""

    ref = current_app.extensions["baara.reference"]
    tz = current_settings().zone
    found = _open_jobs(ref)
    subs = subscriber.subscriptions if subscriber else ()
    mine = [j for j in found if any(j.covers(s, ref) for s in subs)]
    others = [j for j in found if j not in mine]
    views = [
        JobView(
            code=j.code,
            title=j.display_title,
            organization=j.sms_organization,
            places=tuple(j.place_names_for(subs, ref)),
            deadline=jobs.format_deadline(j, tz),
            mine=j in mine,
        )
        for j in (mine + others)[:JOBS_SNAPSHOT]
    ]
    return tuple(views)


def _open_jobs(ref: Reference) -> list:
    """Every open job, newest first, read at most every OPEN_JOBS_FRESH seconds per process."""

    ext = current_app.extensions
    now = time.monotonic()
    cached = ext.get("baara.ussd.jobs")
    if cached is not None and cached[0] > now:
        return cached[1]
    # A subscriber to every region: open_jobs_for() then lists every open job, newest first.
    everywhere = tuple(Subscription(region=r) for r in ref.regions)
    found = jobs.open_jobs_for(Subscriber(phone="", subscriptions=everywhere), limit=200)
    ext["baara.ussd.jobs"] = (now + OPEN_JOBS_FRESH, found)
    return found


def _with_language(phone: str, language: Language, old: Subscriber | None) -> Subscriber:
    """The record with this language; a first call creates it, from USSD whatever comes next."""
    return replace(old or Subscriber(phone=phone, source=Source.USSD), language=language)


def apply_effects(phone: str, result: Screen) -> str | None:
    """Apply the menu's effects to the store; returns a replacement END text if one failed."""

    services = current_services()
    store = services.store
    lang = result.language or Language.FR
    for effect in result.effects:
        match effect:
            case Subscribe(subscription=sub):
                store.subscribe(phone, [sub], language=lang, source=Source.USSD)
            case Unsubscribe(subscription=sub):
                store.unsubscribe(phone, [sub])
            case StopAll():
                store.stop(phone)
            case ResumeAlerts():
                store.resume(phone)
            case SetLanguage(language=new):
                # A first call creates the record: it came from USSD, whatever happens next.
                store.update_subscriber(phone, functools.partial(_with_language, phone, new))
            case SendJob(code=code):
                job = jobs.find_open_job(code)
                if job is None:
                    return texts.end_text([texts.t(texts.JOB_GONE, lang.value)])
                # The caller asked for this one SMS just now: send it even to a stopped number.
                queue_sms(services, phone, jobs.info_text(job, lang.value), kind="info", force=True)
    return None


@bp.errorhandler(StoreError)
def _redis_down(exc: Exception):
    log.error("ussd: storage unavailable: %s", exc)
    return _text_reply(texts.UNAVAILABLE)


@bp.post("")
def ussd():
    """One USSD step: AT's path of answers in, 'CON ...' or 'END ...' out (text/plain)."""
    check_webhook_key()
    step = at_callbacks.ussd_request(request.form)
    if isinstance(step, FieldProblem):
        return bad_request(step.field, step.problem)
    phone, session_id = step.phone, step.session_id
    path = split_path(step.text)
    if len(path) > MAX_ANSWERS:
        return bad_request("text", f"more than {MAX_ANSWERS} answers")

    store = current_services().store
    settings = current_settings()
    ctx = _context()
    answers = _json(path)
    # One round trip: the caller, this call's record (moved on to these answers), its jobs;
    # a new call with no earlier one to resume is recorded on the way.
    # Flood control and the request count travel in the same round trip.
    counted, subscriber, call_row, saved_jobs = store.ussd_request(
        phone,
        session_id,
        answers if path else None,
        _HOME_JSON,
        _LANGUAGE_FIRST_JSON,
        SESSION_TTL,
        limit=settings.ussd_rate_limit,
        window=abuse.WINDOW,
        metric=metrics.field("ussd_requests"),
    )
    verdict = abuse.judge(
        store, "ussd", phone, counted, settings.ussd_rate_limit, settings.ussd_cooldown
    )
    if verdict is not abuse.Verdict.OK:
        return _text_reply(texts.TOO_MANY)
    call = Call.from_row(call_row)
    state = base_state(subscriber)
    lang = state.language or Language.FR
    home = Frame(Kind.HOME) if subscriber else Frame(Kind.LANGUAGE_FIRST)
    ours = call is not None and call.session_id == session_id
    # ussd_begin() recorded this call itself when no other call was going on.
    recorded = ours or (not path and (call is None or call.ended))
    if ours:
        assert call is not None
        first = _frame(call.first) or home
    elif not path and call is not None and not call.ended:
        first = first_screen(state, call, saved_jobs, ctx)
    else:
        first = home  # a new call, or the record expired or was lost mid-call
    state = replace(state, first=first, jobs=_snapshot(saved_jobs, session_id, lang))
    result = screen(state, path, ctx)
    if result.needs_jobs:
        found = load_jobs(subscriber, lang)
        data = _json({"lang": lang.value, "jobs": [j.to_json() for j in found]})
        store.save_ussd_jobs(phone, session_id, data, SESSION_TTL)
        result = screen(replace(state, jobs=found), path, ctx)
    body = result.body
    # AT asking again for the same answers (it did not get our reply) changes nothing twice.
    retried = ours and call is not None and (call.answers == answers or call.ended)
    if result.effects and not retried and (replacement := apply_effects(phone, result)):
        body = f"END {replacement}"
    if result.end and not retried:
        # Kept till it expires, marked: never offered to continue, and AT repeating this last
        # request finds it and changes nothing twice.
        store.end_ussd_call(phone, session_id, _json(first.to_json()), answers, SESSION_TTL)
    elif not recorded:
        store.save_ussd_call(phone, session_id, _json(first.to_json()), answers, SESSION_TTL)
    return _text_reply(body)


@bp.post("/events")
def events():
    """AT's end-of-session notification: a call that ended well leaves nothing to resume."""
    check_webhook_key()
    end = at_callbacks.ussd_end(request.form)
    if isinstance(end, FieldProblem):
        return bad_request(end.field, end.problem)
    if end.completed:
        current_services().store.drop_ussd_call(end.phone, end.session_id)
    return jsonify({"status": "recorded"}), 200
