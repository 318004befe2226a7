"""What Baara does with one inbound SMS: parse it, change the store, choose the reply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from alerts.domain.phones import try_normalize
from alerts.domain.places import Places
from alerts.domain.subscribers import InboundContext, Language, Source, Subscriber, Subscription
from alerts.jobs import lifecycle as jobs
from alerts.sms import relays
from alerts.sms.commands import Command, Intent, Pending, State, consent_answer, parse
from alerts.sms.subscriptions import covering, describe
from alerts.store import Store
from config.reference import Reference
from messages import sms as texts


@dataclass(frozen=True)
class Reply:
    """One SMS to send back."""

    text: str
    language: Language
    #: Send even though the number is now stopped: the one STOP confirmation.
    force: bool = False
    #: SMS to other numbers, (phone, text, force): the relay flow tells relays and asks people.
    others: tuple[tuple[str, str, bool], ...] = ()
    #: (number, request id) of a relay's consent request to lapse in 72 hours.
    expire_consent: tuple[str, str] | None = None


def _subscriptions(
    districts: Sequence[str], regions: Sequence[str], categories: Sequence[str]
) -> list[Subscription]:
    cats: Sequence[str | None] = list(categories) or [None]
    subs = [Subscription(district=d, category=c) for d in districts for c in cats]
    subs += [Subscription(region=r, category=c) for r in regions for c in cats]
    return subs


def _display(cmd: Command, ref: Reference) -> list[str]:
    names = [ref.districts[d].name for d in cmd.doubtful_districts if d in ref.districts]
    names += [ref.regions[r].name for r in cmd.doubtful_regions if r in ref.regions]
    return names


def _pending(raw: object) -> Pending | None:
    """The stored question as a Pending; unknown keys (another feature's) are left out."""
    if not isinstance(raw, dict):
        return None
    known = {f.name for f in fields(Pending)}
    return Pending(
        **{
            k: tuple(str(x) for x in v)
            for k, v in raw.items()
            if k in known and isinstance(v, list)
        }
    )


def respond(
    store: Store,
    places: Places,
    ref: Reference,
    phone: str,
    text: str,
    *,
    known: InboundContext | None = None,
) -> Reply | None:
    """Handle one inbound text from phone; None means Baara stays silent.

    `known` carries the subscriber, question and consent request already read for this message
    (Store.inbound_context), saving those reads.
    """
    consent = _consent(store, places, ref, phone, text, known)
    if consent is not None:
        return consent
    if known is not None:
        sub, pending = known.subscriber, _pending(known.pending)
    else:
        sub = store.get_subscriber(phone)
        pending = _pending(store.get_pending(phone))
    state = State(language=sub.language if sub else None, pending=pending)
    cmd = parse(text, state, places)

    if pending is not None and cmd.intent not in (Intent.YES, Intent.NO, Intent.THANKS):
        # A question is answered by the very next text or forgotten ("expires" when the person
        # writes something else); a new doubtful place below asks a new one.
        store.clear_pending(phone)
    if sub is None and cmd.language is Language.BM:
        # First contact in Bamanankan: answer in Bamanankan from now on.
        sub = store.set_language(phone, Language.BM)
    lang = sub.language if sub else (cmd.language or Language.FR)
    brings_back = cmd.intent in (Intent.START, Intent.SUBSCRIBE) or (
        cmd.intent is Intent.YES and pending is not None
    )
    if sub is not None and not sub.active and not brings_back:
        return None

    def reply(message: str, force: bool = False) -> Reply:
        return Reply(message, lang, force)

    if cmd.intent is Intent.RELAY and cmd.has_place:
        out = relays.request_relay(store, ref, phone, cmd.districts + cmd.doubtful_districts)
        return _from_outbound(phone, lang, out)
    if cmd.intent is Intent.SUBSCRIBE and cmd.phone:
        target = target_number(cmd.phone)
        if target != phone and (target is None or cmd.has_place):
            # Someone else's number, or a number mistyped: never the sender's own subscription.
            return _enroll(store, ref, phone, lang, cmd)

    match cmd.intent:
        case Intent.SUBSCRIBE | Intent.RELAY:
            categories = cmd.categories
            if not categories and pending is not None and not pending.asks_place:
                # "je suis infirmier", then "Kati": the job named before the district.
                categories = pending.categories
            if cmd.doubtful:
                store.set_pending(
                    phone,
                    {
                        "districts": list(cmd.districts + cmd.doubtful_districts),
                        "regions": list(cmd.regions + cmd.doubtful_regions),
                        "categories": list(categories),
                        "names": _display(cmd, ref),
                    },
                )
                # A stopped number asking to come back does get the question.
                question = texts.confirm_place(lang.value, _display(cmd, ref))
                return reply(question, force=True)
            if not cmd.has_place:
                if cmd.categories:
                    # "je suis infirmier": remember the job for the district sent next.
                    store.set_pending(phone, {"categories": list(cmd.categories)})
                return reply(texts.need_place(lang.value))
            wanted = _subscriptions(cmd.districts, cmd.regions, categories)
            store.clear_pending(phone)
            return reply(_subscribe(store, ref, phone, sub, wanted, lang))
        case Intent.YES if pending is not None and pending.asks_place:
            wanted = _subscriptions(pending.districts, pending.regions, pending.categories)
            store.clear_pending(phone)
            return reply(_subscribe(store, ref, phone, sub, wanted, lang))
        case Intent.NO if pending is not None and pending.asks_place:
            store.clear_pending(phone)
            return reply(texts.confirm_declined(lang.value))
        case Intent.STOP if cmd.has_place:
            gone = _subscriptions(
                cmd.districts + cmd.doubtful_districts,
                cmd.regions + cmd.doubtful_regions,
                cmd.categories,
            )
            before = set(sub.subscriptions) if sub else set()
            after_sub = store.unsubscribe(phone, gone)
            after = set(after_sub.subscriptions) if after_sub else set()
            removed = sorted(before - after, key=lambda s: s.code)
            if not removed:
                return reply(texts.stop_nothing(lang.value, describe(gone, lang, ref)))
            return reply(texts.stopped_one(lang.value, describe(removed, lang, ref)))
        case Intent.STOP:
            store.clear_pending(phone)
            store.stop(phone)
            return reply(texts.stopped(lang.value), force=True)
        case Intent.START:
            resumed = store.resume(phone)
            if resumed is None or not resumed.subscriptions:
                return reply(texts.welcome(lang.value))  # never subscribed: not "welcome back"
            return reply(texts.resumed(lang.value, describe(resumed.subscriptions, lang, ref)))
        case Intent.THANKS:
            if pending is not None and pending.asks_place:
                # "merci" to "did you mean NIONO?": the question again, still answerable.
                return reply(texts.confirm_place(lang.value, list(pending.names)))
            if pending is not None:
                return reply(texts.need_place(lang.value))  # "ok" to "which district?"
            if sub is not None and sub.subscriptions:
                return None  # a thank-you after a confirmation needs no answer (nor credit)
            return reply(texts.welcome(lang.value))
        case Intent.HELP | Intent.WHO:
            return reply(texts.help_text(lang.value))
        case Intent.LIST:
            if sub is None or not sub.subscriptions:
                return reply(texts.listing(lang.value, []))
            return reply(texts.listing(lang.value, describe(sub.subscriptions, lang, ref)))
        case Intent.LANGUAGE:
            target = cmd.target or Language.FR
            store.set_language(phone, target)
            return Reply(texts.language_set(target.value), target)
        case Intent.OFFERS:
            return reply(_offers(sub, lang))
        case Intent.INFO if cmd.guessed:
            # "486" alone is INFO J486 only when that job exists.
            text = _info(cmd.code or "", lang, unknown=texts.unknown(lang.value))
            return reply(text)
        case Intent.INFO:
            return reply(_info(cmd.code or "", lang))
        case _:
            return reply(texts.unknown(lang.value))


def _from_outbound(phone: str, lang: Language, out, **extra) -> Reply:
    """A Reply from the relay flow's messages: the sender's own, then the others'."""
    mine = [text for p, text, _ in out.messages if p == phone]
    others = tuple((p, text, force) for p, text, force in out.messages if p != phone)
    return Reply(mine[0] if mine else "", lang, others=others, **extra)


def _enroll(store: Store, ref: Reference, phone: str, lang: Language, cmd: Command) -> Reply:
    """A relay's INSCRIRE <number> <district> [job]: ask that person first."""

    wanted = _subscriptions(
        cmd.districts + cmd.doubtful_districts, cmd.regions + cmd.doubtful_regions, cmd.categories
    )
    today = datetime.fromtimestamp(store.now(), UTC).strftime("%Y%m%d")
    status, out = relays.enroll(store, ref, phone, cmd.phone or "", wanted, today=today)
    expire = None
    if status is relays.Enrollment.ASKED:
        target = try_normalize(cmd.phone or "")
        request = relays.pending_request(store, target) if target else None
        expire = (target, request["id"]) if request else None
    return _from_outbound(phone, lang, out, expire_consent=expire)


def _consent(
    store: Store,
    places: Places,
    ref: Reference,
    phone: str,
    text: str,
    known: InboundContext | None = None,
) -> Reply | None:
    """Answers to a relay's consent request; None when the text is not one."""

    request = known.consent if known is not None else relays.pending_request(store, phone)
    if request is None:
        return None
    kind = consent_answer(text, places)
    if kind is None:
        return None
    sub = known.subscriber if known is not None else store.get_subscriber(phone)
    detected = parse(text, State(), places).language
    lang = sub.language if sub else (detected or Language.FR)
    if not relays.is_open(request, store.now()):
        if kind is Intent.YES:
            return Reply(relays.late_answer(lang), lang)
        if kind is Intent.NO:
            return Reply("", lang)  # they already said no (or let it lapse): nothing more
        return None
    if kind is Intent.WHO:
        return Reply(relays.who_asks(store, request, lang), lang)
    out = relays.answer(store, ref, phone, request, yes=kind is Intent.YES, language=lang)
    if kind is Intent.STOP:
        store.stop(phone)
        others = tuple((p, t, f) for p, t, f in out.messages if p != phone)
        return Reply(texts.stopped(lang.value), lang, force=True, others=others)
    return _from_outbound(phone, lang, out)


def _offers(sub: Subscriber | None, lang: Language) -> str:
    if sub is None or not sub.subscriptions:
        return texts.listing(lang.value, [])
    found = jobs.open_jobs_for(sub, limit=5)
    items = [jobs.offer_item(j, lang.value, subscriptions=sub.subscriptions) for j in found]
    return texts.offers(lang.value, items)


def _info(code: str, lang: Language, unknown: str | None = None) -> str:
    job = jobs.find_open_job(code)
    if job is None:
        return unknown or texts.info_unknown(lang.value, code)
    return jobs.info_text(job, lang.value)


def target_number(typed: str) -> str | None:
    """The E.164 number a relay typed, or None when it is not a valid number as typed."""
    # phonenumbers reads letters as keypad digits ("5O" would become 56): a typo, not a number.
    if any(ch.isalpha() for ch in typed):
        return None
    return try_normalize(typed)


def _subscribe(
    store: Store,
    ref: Reference,
    phone: str,
    sub: Subscriber | None,
    wanted: Sequence[Subscription],
    lang: Language,
) -> str:
    """Store what a message asks for and say exactly what was stored.

    A stopped number starts again with only what this message names (store.subscribe); what an
    active one already gets through a broader subscription is said, not stored again.
    """
    existing = sub.subscriptions if sub is not None and sub.active else ()
    covered = {w: have for w in wanted if (have := covering(existing, w, ref)) is not None}
    fresh = [w for w in wanted if w not in covered]
    if not fresh:
        broader = list(dict.fromkeys(covered.values()))
        return texts.already(lang.value, describe(broader, lang, ref))
    store.subscribe(phone, fresh, language=lang, source=Source.SMS)
    return texts.subscribed(lang.value, describe(fresh, lang, ref))
