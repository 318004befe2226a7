"""The USSD menu: subscribe, manage alerts, browse open jobs, on any basic phone.

Two halves:

* `screen(state, path, ctx)` is the menu: a pure function of what is stored about the caller
  (language, subscriptions, the screen the call began on, a snapshot of open jobs) and the
  answers so far. It returns the reply and the effects to apply (subscribe, unsubscribe, stop,
  resume, language, send a job by SMS). No Flask, no Redis: tests call it directly.
* `bp` is the thin webhook around it: one Redis round trip per answer (a small script reads the
  caller and moves the call's record on), the menu, the effects.

Navigation, the same on every screen:

    1..n   the numbered options shown
    0      back to the previous screen (on the first screen it shows it again)
    00     home
    99     next page of a list. '#' works too, but most handsets use '#' to send and cannot put
           it in an answer, so '99' is the one shown.
    text   on the region and district lists and on "Écrire le nom du district": a district or
           region name, typos allowed; the matches are listed to pick from, which confirms it.

An invalid answer shows the same screen again under a short notice; only a finished action
(subscribed, removed, stopped, SMS sent) ends the session.

Africa's Talking sends every answer so far joined by '*' ("1*2*3"). The menu replays them from
the screen the call began on, each time: cheaper than a round trip to fetch a saved screen, and
nothing to get out of step. Only the last answer's effects are applied (the earlier ones were
applied when they were answered), and none when AT repeats a request it got no reply to.

The call's record (session id, first screen, answers) lives SESSION_TTL seconds. A caller cut
off mid-way who dials again meanwhile is asked whether to continue: the new call begins on that
offer, and yes restores the screens they were on.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import redis as redis_lib
from flask import Blueprint, Response, current_app, jsonify, request

from alerts.domain.phones import try_normalize
from alerts.domain.places import Places
from alerts.domain.text import key
from alerts.jobs import lifecycle as jobs
from alerts.jobs.lifecycle import app_places
from alerts.ops import metrics
from alerts.sending.outbox import queue_sms
from alerts.services import current_services
from alerts.sms import abuse
from alerts.sms.subscriptions import covering, describe
from alerts.store import Language, Source, Subscriber, Subscription
from alerts.web.auth import check_webhook_key
from alerts.web.sms import bad_request
from config.reference import Reference
from messages import sms as sms_texts
from messages import ussd as texts
from messages.alert import display_title
from messages.compose import to_gsm7

log = logging.getLogger(__name__)

#: Seconds a session record lives: AT's own session limit (~180 s) plus the few minutes in
#: which a caller who was cut off is offered to continue.
SESSION_TTL = 300
#: Open jobs kept in a session's snapshot: the caller's own first, then the others.
JOBS_SNAPSHOT = 20
#: Seconds a process reuses the list of open jobs: fifty callers browsing at once read it once.
#: Choosing a job to get by SMS always checks it is still open.
OPEN_JOBS_FRESH = 5.0
#: Candidates offered for a typed name.
MAX_CANDIDATES = 6
#: Only the start of a typed answer is matched: nobody types a paragraph into USSD.
MAX_TYPED = 60
#: Bounds on a request: a real session cannot come near them in ~180 s.
MAX_TEXT = 2000
MAX_ANSWERS = 100
MAX_SESSION_ID = 200
#: Screens kept on the navigation stack ("0" goes back this far).
MAX_STACK = 20
#: Built screens kept per process (some thousands: places x categories x languages, plus the
#: alert lists and job snapshots of recent callers); past this the cache starts afresh.
MAX_CACHED_VIEWS = 20_000

NEXT_KEYS = frozenset({"99", "#"})
BACK_KEY = "0"
HOME_KEY = "00"


class Kind(StrEnum):
    """The screens of the menu."""

    LANGUAGE_FIRST = "lang0"  # first call: pick a language, in both languages
    HOME = "home"
    RESUME = "resume"  # "you were cut off: continue?"
    LANGUAGE = "lang"
    REGIONS = "regions"
    TYPE = "type"  # write the district's name
    CANDIDATES = "cands"  # what the typed name matched
    DISTRICTS = "districts"
    CATEGORIES = "cats"
    CONFIRM = "confirm"
    ALERTS = "alerts"
    REMOVE = "remove"
    STOP_ALL = "stopall"
    JOBS = "jobs"
    JOB = "job"


#: Screens a session starts on: "0" stays there, and a call cut off there is not resumed.
ROOTS = frozenset({Kind.LANGUAGE_FIRST, Kind.HOME, Kind.RESUME})


@dataclass(frozen=True)
class Frame:
    """One screen on the navigation stack: its kind, its one argument, the page shown."""

    kind: Kind
    arg: str = ""
    page: int = 0

    def to_json(self) -> list:
        """Compact form for the session record."""
        return [self.kind.value, self.arg, self.page]

    @classmethod
    def from_json(cls, data: Any) -> Frame:
        """Inverse of to_json(); ValueError for anything else."""
        if not isinstance(data, list) or len(data) != 3:
            raise ValueError(f"not a frame: {data!r}")
        kind, arg, page = data
        if not isinstance(arg, str) or not isinstance(page, int) or not 0 <= page < 100:
            raise ValueError(f"not a frame: {data!r}")
        return cls(Kind(kind), arg, page)


Stack = tuple[Frame, ...]


def stack_to_json(stack: Stack) -> list:
    """A stack for the session record."""
    return [f.to_json() for f in stack]


def stack_from_json(data: Any) -> Stack:
    """Inverse of stack_to_json(); ValueError for anything else."""
    if not isinstance(data, list) or not 0 < len(data) <= MAX_STACK:
        raise ValueError("not a stack")
    return tuple(Frame.from_json(f) for f in data)


@dataclass(frozen=True)
class JobView:
    """What the menu shows of an open job (a snapshot, so pages stay put during a call)."""

    code: str
    title: str
    organization: str
    places: tuple[str, ...]
    deadline: str
    mine: bool = False

    @property
    def label(self) -> str:
        """Its line in the list: 'Infirmier, Kati': the alert's title and the first place.

        The places come with the caller's own first (load_jobs); the place is left out rather
        than the title cut, so the title reads as in the alert.
        """
        title = display_title(self.title)
        with_place = f"{title}, {self.places[0]}" if self.places else title
        return with_place if len(with_place) <= texts.OPTION_CHARS else title

    def to_json(self) -> list:
        """Compact form for the session record."""
        return [self.code, self.title, self.organization, list(self.places), self.deadline,
                int(self.mine)]

    @classmethod
    def from_json(cls, data: Any) -> JobView:
        """Inverse of to_json()."""
        code, title, organization, places, deadline, mine = data
        return cls(str(code), str(title), str(organization), tuple(map(str, places)),
                   str(deadline), bool(mine))


@dataclass(frozen=True)
class State:
    """Everything the menu may know about the caller, read from the store."""

    language: Language | None = None
    subscriptions: tuple[Subscription, ...] = ()
    active: bool = True
    #: The screen this call began on (None: home, or the language choice for a new number);
    #: a "continue where you were?" offer when the last call was cut off.
    first: Frame | None = None
    #: Open jobs, loaded on demand (None: not loaded; the menu asks with needs_jobs).
    jobs: tuple[JobView, ...] | None = None


@dataclass(frozen=True)
class Context:
    """What the menu needs that never changes while the app runs."""

    reference: Reference
    places: Places
    ussd_code: str = "*384*22#"
    #: Names of subscriptions per language, computed once (they only depend on `reference`).
    names: dict = field(default_factory=dict, compare=False, repr=False)
    #: Screens already built, by frame, language and what else they show (see _Walk.view).
    views: dict = field(default_factory=dict, compare=False, repr=False)


# -- effects: what the webhook applies to the store after the menu answered ----------------


@dataclass(frozen=True)
class Subscribe:
    """Add one subscription (and reactivate the number)."""

    subscription: Subscription


@dataclass(frozen=True)
class Unsubscribe:
    """Remove one subscription."""

    subscription: Subscription


@dataclass(frozen=True)
class StopAll:
    """Stop every SMS to the number."""

@dataclass(frozen=True)
class ResumeAlerts:
    """Undo a stop."""

@dataclass(frozen=True)
class SetLanguage:
    """Speak this language from now on."""

    language: Language


@dataclass(frozen=True)
class SendJob:
    """Send a job's details by SMS."""

    code: str


Effect = Subscribe | Unsubscribe | StopAll | ResumeAlerts | SetLanguage | SendJob


@dataclass(frozen=True)
class Screen:
    """The menu's answer: the text, whether it ends the session, and what to apply."""

    text: str
    end: bool = False
    stack: Stack = ()
    language: Language | None = None
    effects: tuple[Effect, ...] = ()
    #: The path reached the open jobs and State.jobs was None: load them and ask again.
    needs_jobs: bool = False

    @property
    def body(self) -> str:
        """The reply as AT wants it: 'CON ...' or 'END ...'."""
        return ("END " if self.end else "CON ") + self.text

    @property
    def resumable(self) -> bool:
        """Whether a call cut off on this screen is offered to continue."""
        return not self.end and bool(self.stack) and self.stack[-1].kind not in ROOTS


# -- the menu -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Go:
    frame: Frame


@dataclass(frozen=True)
class _Back:
    pass


@dataclass(frozen=True)
class _Reset:
    stack: Stack


@dataclass(frozen=True)
class _Language:
    language: Language


@dataclass(frozen=True)
class _Retry:
    notice: str  # msgid


@dataclass(frozen=True)
class _Finish:
    text: str
    effects: tuple[Effect, ...] = ()


_Action = _Go | _Back | _Reset | _Language | _Retry | _Finish


@dataclass
class _View:
    heads: list[str]  # variants, longest first
    items: list[tuple[str, _Action]] = field(default_factory=list)  # paginated
    extras: list[tuple[str, _Action]] = field(default_factory=list)  # after items, every page
    typed: Callable[[str], _Action] | None = None  # a non-numeric answer
    pages: tuple[tuple[int, int], ...] | None = None  # computed once, see _Walk.pages
    texts: dict = field(default_factory=dict)  # (page, notice) -> text, see _Walk.render

    @functools.cached_property
    def labels(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The items' and the extras' option texts, as shown."""
        return (tuple(texts.option_label(label) for label, _ in self.items),
                tuple(texts.option_label(label) for label, _ in self.extras))


class _NeedJobs(Exception):
    pass


def screen(state: State, path: Sequence[str], ctx: Context) -> Screen:
    """The reply to the answers `path` (AT's text split on '*'), and the effects to apply."""
    try:
        return _Walk(state, ctx).run(tuple(a.strip() for a in path))
    except _NeedJobs:
        return Screen(text="", language=state.language, needs_jobs=True)


def _push(stack: Stack, frame: Frame) -> Stack:
    # Paging back and forth must not grow the record without end: the oldest screens go,
    # the first one (home) stays.
    if len(stack) < MAX_STACK:
        return (*stack, frame)
    return (stack[0], *stack[len(stack) - MAX_STACK + 2 :], frame)


def split_path(text: str) -> tuple[str, ...]:
    """AT's text to answers: '' is no answer yet, '1*2' is two."""
    return tuple(text.split("*")) if text else ()


class _Walk:
    def __init__(self, state: State, ctx: Context) -> None:
        self.state = state
        self.ctx = ctx
        self.ref = ctx.reference
        self.set_language(state.language)

    def set_language(self, lang: Language | None) -> None:
        self.lang = lang
        self.code = (lang or Language.FR).value

    def t(self, msgid: str, **values: object) -> str:
        return texts.t(msgid, self.code, **values)

    def home(self) -> Frame:
        return Frame(Kind.HOME) if self.lang else Frame(Kind.LANGUAGE_FIRST)

    # -- walking the answers --------------------------------------------------------------

    def run(self, path: tuple[str, ...]) -> Screen:
        stack: Stack = (self.state.first or self.home(),)
        notice: str | None = None
        for i, answer in enumerate(path):
            stack, notice, done, ending = self.answer(stack, answer)
            # Earlier answers had their effects when they were answered.
            effects = done if i == len(path) - 1 else ()
            if ending is not None:
                return Screen(ending, end=True, stack=stack, language=self.lang, effects=effects)
        text, stack = self.render(stack, notice)
        return Screen(text, stack=stack, language=self.lang,
                      effects=done if path else ())

    def answer(
        self, stack: Stack, answer: str
    ) -> tuple[Stack, str | None, tuple[Effect, ...], str | None]:
        """One answer: the new stack, a notice (msgid), effects, and the END text if it ends."""
        frame = stack[-1]
        if answer == HOME_KEY:
            return (self.home(),), None, (), None
        if answer == BACK_KEY:
            return (stack[:-1] or stack), None, (), None
        view = self.view_or_none(frame)
        if view is None:
            # A screen that no longer makes sense (stale record, reference changed): go home.
            return (self.home(),), None, (), None
        pages = self.pages(view, frame)
        page = min(frame.page, len(pages) - 1)
        action: _Action | None = None
        if answer in NEXT_KEYS:
            if page + 1 < len(pages):
                return _push(stack, replace(frame, page=page + 1)), None, (), None
        elif answer.isascii() and answer.isdigit() and (view.items or view.extras):
            start, stop = pages[page]
            n = int(answer)
            shown = stop - start
            if 1 <= n <= shown:
                action = view.items[start + n - 1][1]
            elif shown < n <= shown + len(view.extras):
                action = view.extras[n - shown - 1][1]
        elif answer and view.typed is not None:
            action = view.typed(answer)
        match action:
            case None:
                return stack, texts.INVALID, (), None
            case _Go(frame=nxt):
                return _push(stack, nxt), None, (), None
            case _Back():
                return (stack[:-1] or stack), None, (), None
            case _Reset(stack=new):
                return new, None, (), None
            case _Retry(notice=notice):
                return stack, notice, (), None
            case _Language(language=lang):
                self.set_language(lang)
                return (Frame(Kind.HOME),), texts.LANGUAGE_SET, (SetLanguage(lang),), None
            case _Finish(text=ending, effects=done):
                return stack, None, done, ending
        raise AssertionError(action)

    # -- rendering ---------------------------------------------------------------------------

    def view_or_none(self, frame: Frame) -> _View | None:
        try:
            return self.view(frame)
        except (KeyError, ValueError, TypeError):
            return None

    def render(self, stack: Stack, notice: str | None) -> tuple[str, Stack]:
        frame = stack[-1]
        view = self.view_or_none(frame)
        if view is None:
            stack = (self.home(),)
            frame = stack[0]
            view = self.view(frame)
        pages = self.pages(view, frame)
        page = min(frame.page, len(pages) - 1)
        text = view.texts.get((page, notice))
        if text is None:
            start, stop = pages[page]
            items, extras = view.labels
            text = texts.layout(
                view.heads,
                [*items[start:stop], *extras],
                more=texts.next_line(self.code) if page + 1 < len(pages) else None,
                tail=texts.nav_lines(self.code, back=frame.kind not in ROOTS),
                notice=self.t(notice) if notice else None,
            )
            view.texts[page, notice] = text
        return text, stack

    def pages(self, view: _View, frame: Frame) -> tuple[tuple[int, int], ...]:
        if view.pages is None:
            items, extras = view.labels
            view.pages = texts.paginate(
                min(view.heads, key=texts.septets) if len(view.heads) > 1 else view.heads[0],
                items,
                extras,
                texts.nav_lines(self.code, back=frame.kind not in ROOTS),
                texts.next_line(self.code),
                texts.notice_room(self.code),
            )
        return view.pages

    # -- the screens -------------------------------------------------------------------------

    def view(self, frame: Frame) -> _View:
        # A screen depends on its frame, the language and, for a few, the caller's alerts or the
        # open jobs: built once per process for each, replaying a call's answers costs a few
        # dictionary lookups per answer.
        key = (frame.kind, frame.arg, self.code, self.depends(frame))
        view = self.ctx.views.get(key)
        if view is None:
            view = getattr(self, f"_{frame.kind.value}")(frame.arg)
            if len(self.ctx.views) >= MAX_CACHED_VIEWS:
                self.ctx.views.clear()
            self.ctx.views[key] = view
        return view

    def depends(self, frame: Frame) -> object:
        """What a screen shows besides its frame and the language."""
        if frame.kind is Kind.ALERTS:
            return (self.state.subscriptions, self.state.active)
        if frame.kind is Kind.JOBS:
            return self.jobs()
        if frame.kind is Kind.JOB:
            return next((j for j in self.jobs() if j.code == frame.arg), None)
        return None

    def _lang0(self, arg: str) -> _View:
        return _View(
            [to_gsm7(f"{texts.WELCOME}\n{texts.LANGUAGE_HEAD}")],
            [(texts.LANGUAGE_NAMES[lang.value], _Language(lang)) for lang in Language],
        )

    def _lang(self, arg: str) -> _View:
        return _View(
            [texts.LANGUAGE_HEAD],
            [(texts.LANGUAGE_NAMES[lang.value], _Language(lang)) for lang in Language],
        )

    def _home(self, arg: str) -> _View:
        return _View(
            [self.t(texts.HOME_HEAD)],
            [
                (self.t(texts.MENU_SUBSCRIBE), _Go(Frame(Kind.REGIONS))),
                (self.t(texts.MENU_ALERTS), _Go(Frame(Kind.ALERTS))),
                (self.t(texts.MENU_JOBS), _Go(Frame(Kind.JOBS))),
                (self.t(texts.MENU_LANGUAGE), _Go(Frame(Kind.LANGUAGE))),
            ],
        )

    def _resume(self, arg: str) -> _View:
        saved = stack_from_json(json.loads(arg))
        return _View(
            [self.t(texts.RESUME_HEAD)],
            [(self.t(texts.YES), _Reset(saved)), (self.t(texts.NO), _Reset((Frame(Kind.HOME),)))],
        )

    def _regions(self, arg: str) -> _View:
        return _View(
            [self.t(texts.REGIONS_HEAD)],
            [(r.name, _Go(Frame(Kind.DISTRICTS, r.slug))) for r in self.ref.regions.values()],
            extras=[(self.t(texts.TYPE_OPTION), _Go(Frame(Kind.TYPE)))],
            typed=functools.partial(_typed, self.ctx),
        )

    def _type(self, arg: str) -> _View:
        return _View([self.t(texts.TYPE_HEAD)], typed=functools.partial(_typed, self.ctx))

    def _districts(self, arg: str) -> _View:
        region = self.ref.regions[arg]
        whole = (self.t(texts.WHOLE_REGION), _Go(Frame(Kind.CATEGORIES, f"r:{region.slug}")))
        return _View(
            [self.t(texts.DISTRICTS_HEAD, region=region.name)],
            [whole] + [
                (d.name, _Go(Frame(Kind.CATEGORIES, f"d:{d.slug}")))
                for d in self.ref.districts_in(region.slug)
            ],
            typed=functools.partial(_typed, self.ctx),
        )

    def _cands(self, arg: str) -> _View:
        return _View(
            [self.t(texts.CANDIDATES_HEAD)],
            [(self.place_label(code), _Go(Frame(Kind.CATEGORIES, code)))
             for code in arg.split(",")],
        )

    def _cats(self, arg: str) -> _View:
        self.place(arg)  # refuse an unknown place
        cats = self.ref.categories.values()
        return _View(
            [self.t(texts.CATEGORIES_HEAD, place=self.place_name(arg))],
            [(self.t(texts.ALL_JOBS), _Go(Frame(Kind.CONFIRM, f"{arg}:*")))] + [
                (c.bm if self.lang is Language.BM else c.fr,
                 _Go(Frame(Kind.CONFIRM, f"{arg}:{c.slug}")))
                for c in cats
            ],
        )

    def _confirm(self, arg: str) -> _View:
        sub = self.subscription(arg)
        whats = self.whats(sub)
        done = texts.end_text([self.t(texts.SUBSCRIBED_END, what=w) for w in whats],
                              extra=self.t(texts.FREE))
        effects: tuple[Effect, ...] = (Subscribe(sub),)
        broader = covering(self.state.subscriptions, sub, self.ref) if self.state.active else None
        if broader is not None:
            # Already theirs through a broader subscription: say so, store nothing.
            done = texts.end_text([self.t(texts.ALREADY_END, what=w)
                                   for w in self.whats(broader)])
            effects = ()
        return _View(
            [self.t(texts.CONFIRM_HEAD, what=w) for w in whats],
            [(self.t(texts.YES), _Finish(done, effects)), (self.t(texts.NO), _Back())],
        )

    def _alerts(self, arg: str) -> _View:
        subscribe = (self.t(texts.MENU_SUBSCRIBE), _Go(Frame(Kind.REGIONS)))
        subs = self.state.subscriptions
        if not subs:
            return _View([self.t(texts.ALERTS_NONE)], [subscribe])
        if not self.state.active:
            back = _Finish(texts.end_text([self.t(texts.ALERTS_RESUMED_END)]), (ResumeAlerts(),))
            return _View([self.t(texts.ALERTS_STOPPED)],
                         [(self.t(texts.RESUME_ALERTS_OPTION), back), subscribe])
        return _View(
            [self.t(texts.ALERTS_HEAD)],
            [(self.whats(s)[0], _Go(Frame(Kind.REMOVE, s.code))) for s in subs],
            extras=[(self.t(texts.STOP_ALL_OPTION), _Go(Frame(Kind.STOP_ALL)))],
        )

    def _remove(self, arg: str) -> _View:
        sub = self.subscription(arg)
        whats = self.whats(sub)
        done = texts.end_text([self.t(texts.REMOVED_END, what=w) for w in whats])
        return _View(
            [self.t(texts.REMOVE_HEAD, what=w) for w in whats],
            [(self.t(texts.YES), _Finish(done, (Unsubscribe(sub),))), (self.t(texts.NO), _Back())],
        )

    def _stopall(self, arg: str) -> _View:
        done = texts.end_text([self.t(texts.STOPPED_END, code=self.ctx.ussd_code)])
        return _View(
            [self.t(texts.STOP_HEAD)],
            [(self.t(texts.YES), _Finish(done, (StopAll(),))), (self.t(texts.NO), _Back())],
        )

    def _jobs(self, arg: str) -> _View:
        jobs = self.jobs()
        if not jobs:
            return _View([self.t(texts.JOBS_NONE)])
        return _View([self.t(texts.JOBS_HEAD)],
                     [(j.label, _Go(Frame(Kind.JOB, j.code))) for j in jobs])

    def _job(self, arg: str) -> _View:
        job = next((j for j in self.jobs() if j.code == arg), None)
        if job is None:
            return _View([self.t(texts.JOB_GONE)])
        heads = texts.job_detail(self.code, code=job.code, title=job.title,
                                 organization=job.organization, places=job.places,
                                 deadline=job.deadline)
        done = texts.end_text([self.t(texts.JOB_SENT_END, code=job.code)])
        return _View(heads, [(self.t(texts.JOB_SMS_OPTION), _Finish(done, (SendJob(job.code),)))])

    # -- helpers -----------------------------------------------------------------------------

    def jobs(self) -> tuple[JobView, ...]:
        if self.state.jobs is None:
            raise _NeedJobs
        return self.state.jobs

    def place(self, code: str) -> tuple[str, str]:
        kind, _, slug = code.partition(":")
        if kind == "d" and slug in self.ref.districts:
            return kind, slug
        if kind == "r" and slug in self.ref.regions:
            return kind, slug
        raise ValueError(f"unknown place {code!r}")

    def place_name(self, code: str) -> str:
        kind, slug = self.place(code)
        if kind == "d":
            return self.ref.districts[slug].name
        return sms_texts.region_name(self.code, self.ref.regions[slug].name)

    def place_label(self, code: str) -> str:
        kind, slug = self.place(code)
        if kind == "d":
            district = self.ref.districts[slug]
            return f"{district.name} ({self.ref.regions[district.region].name})"
        return texts.capitalize(self.place_name(code))

    def subscription(self, code: str) -> Subscription:
        sub = Subscription.from_code(code)
        self.place(f"{'d' if sub.district else 'r'}:{sub.district or sub.region}")
        if sub.category is not None and sub.category not in self.ref.categories:
            raise ValueError(f"unknown category {sub.category!r}")
        return sub

    def whats(self, sub: Subscription) -> list[str]:
        lang = self.lang or Language.FR
        found = self.ctx.names.get((sub, lang))
        if found is None:
            found = describe([sub], lang, self.ref) or [sub.code]
            if len(self.ctx.names) < 10_000:
                self.ctx.names[sub, lang] = found
        return found


def _typed(ctx: Context, text: str) -> _Action:
    codes = candidates(text, ctx)
    if not codes:
        return _Retry(texts.UNKNOWN_NAME)
    return _Go(Frame(Kind.CANDIDATES, ",".join(codes)))


def candidates(text: str, ctx: Context) -> list[str]:
    """Place codes ('d:kati', 'r:koulikoro') a typed name may mean, best first."""
    found = ctx.places.find(text[:MAX_TYPED])
    codes = [f"d:{h.slug}" for h in found.districts]
    codes += [f"r:{h.slug}" for h in found.regions]
    # Offer the whole region too: someone typing "Kati" may want all of Koulikoro.
    codes += [f"r:{ctx.reference.districts[h.slug].region}" for h in found.districts]
    if not codes:
        # Nothing close enough: names that start with what was typed ("bou" -> Bougouni...).
        typed = key(text[:MAX_TYPED])
        if len(typed) >= 3:
            codes = [f"d:{d.slug}" for d in ctx.reference.districts.values()
                     if key(d.name).startswith(typed)]
            codes += [f"r:{r.slug}" for r in ctx.reference.regions.values()
                      if key(r.name).startswith(typed)]
    return list(dict.fromkeys(codes))[:MAX_CANDIDATES]


# -- the webhook ------------------------------------------------------------------------------

bp = Blueprint("ussd", __name__, url_prefix="/ussd")

FIELDS = ("sessionId", "serviceCode", "phoneNumber", "text")
EVENT_FIELDS = ("sessionId", "phoneNumber", "status")
#: Said when the store is down: the caller gets a sentence rather than the network's error.


def _missing(fields: tuple[str, ...]):
    for name in fields:
        if name not in request.form:
            return bad_request(name, "missing")
    return None


def _context() -> Context:
    ext = current_app.extensions
    ctx = ext.get("baara.ussd")
    ref = ext["baara.reference"]
    if ctx is None or ctx.reference is not ref:
        ctx = Context(ref, app_places(ref), current_app.config.get("USSD_CODE") or "*384*22#")
        ext["baara.ussd"] = ctx
    return ctx


@functools.lru_cache(maxsize=4096)
def _normalized(raw: str) -> str | None:
    # Every answer of a call repeats the number: parse it once per call, not once per screen.
    return try_normalize(raw) if len(raw) <= 32 else None


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
    return State(language=subscriber.language, subscriptions=subscriber.subscriptions,
                 active=subscriber.active)


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


def _snapshot(saved: tuple[str, str] | None, session_id: str, lang: Language
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
    state: State, last: tuple[str, str, str, bool] | None, last_jobs: tuple[str, str] | None,
    ctx: Context,
) -> Frame:
    """Where a new call begins: an offer to continue the last call if it was cut off mid-way."""
    home = Frame(Kind.HOME) if state.language else Frame(Kind.LANGUAGE_FIRST)
    if last is None or last[3] or (answers := _answers(last[2])) is None:
        return home
    lang = state.language or Language.FR
    then = replace(state, first=_frame(last[1]), jobs=_snapshot(last_jobs, last[0], lang) or ())
    where = screen(then, answers, ctx)
    if not where.resumable:
        return home
    return Frame(Kind.RESUME, json.dumps(stack_to_json(where.stack), separators=(",", ":")))


def load_jobs(subscriber: Subscriber | None, lang: Language) -> tuple[JobView, ...]:
    """Open jobs, newest first: those the subscriber's alerts cover, then the others."""

    ref = current_app.extensions["baara.reference"]
    tz = ZoneInfo(current_app.config.get("TIMEZONE") or "Africa/Bamako")
    found = _open_jobs(ref)
    subs = subscriber.subscriptions if subscriber else ()
    mine = [j for j in found if any(j.covers(s, ref) for s in subs)]
    others = [j for j in found if j not in mine]
    views = [
        JobView(
            code=j.code, title=j.display_title, organization=j.sms_organization,
            places=tuple(j.place_names_for(subs, ref)), deadline=jobs.format_deadline(j, tz),
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
                store.update_subscriber(phone, lambda old, new=new: replace(
                    old or Subscriber(phone=phone, source=Source.USSD), language=new))
            case SendJob(code=code):
                job = jobs.find_open_job(code)
                if job is None:
                    return texts.end_text([texts.t(texts.JOB_GONE, lang.value)])
                # The caller asked for this one SMS just now: send it even to a stopped number.
                queue_sms(services, phone, jobs.info_text(job, lang.value), kind="info",
                          force=True)
    return None


@bp.errorhandler(redis_lib.RedisError)
def _redis_down(exc: Exception):
    log.error("ussd: storage unavailable: %s", exc)
    return _text_reply(texts.UNAVAILABLE)


@bp.post("")
def ussd():
    """One USSD step: AT's path of answers in, 'CON ...' or 'END ...' out (text/plain)."""
    check_webhook_key()
    if problem := _missing(FIELDS):
        return problem
    form = request.form
    phone = _normalized(form["phoneNumber"])
    if phone is None:
        return bad_request("phoneNumber", "not a valid phone number")
    session_id = form["sessionId"].strip()
    if not 0 < len(session_id) <= MAX_SESSION_ID or not session_id.isprintable():
        return bad_request("sessionId", f"expected 1 to {MAX_SESSION_ID} printable characters")
    text = form["text"]
    if len(text) > MAX_TEXT:
        return bad_request("text", f"longer than {MAX_TEXT} characters")
    path = split_path(text)
    if len(path) > MAX_ANSWERS:
        return bad_request("text", f"more than {MAX_ANSWERS} answers")


    store = current_services().store
    config = current_app.config
    ctx = _context()
    answers = _json(path)
    # One round trip: the caller, this call's record (moved on to these answers), its jobs;
    # a new call with no earlier one to resume is recorded on the way.
    # Flood control and the request count travel in the same round trip.
    counted, subscriber, call, saved_jobs = store.ussd_request(
        phone, session_id, answers if path else None, _HOME_JSON, _LANGUAGE_FIRST_JSON,
        SESSION_TTL, limit=config["USSD_RATE_LIMIT"], window=abuse.WINDOW,
        metric=metrics.field("ussd_requests"),
    )
    verdict = abuse.judge(
        store, "ussd", phone, counted, config["USSD_RATE_LIMIT"], config["USSD_COOLDOWN"]
    )
    if verdict is not abuse.Verdict.OK:
        return _text_reply(texts.TOO_MANY)
    state = base_state(subscriber)
    lang = state.language or Language.FR
    home = Frame(Kind.HOME) if subscriber else Frame(Kind.LANGUAGE_FIRST)
    ours = call is not None and call[0] == session_id
    # ussd_begin() recorded this call itself when no other call was going on.
    recorded = ours or (not path and (call is None or call[3]))
    if ours:
        assert call is not None
        first = _frame(call[1]) or home
    elif not path and call is not None and not call[3]:
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
    retried = ours and call is not None and (call[2] == answers or call[3])
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
    if problem := _missing(EVENT_FIELDS):
        return problem
    phone = try_normalize(request.form["phoneNumber"])
    if phone is None:
        return bad_request("phoneNumber", "not a valid phone number")
    if request.form["status"] == "Success":
        current_services().store.drop_ussd_call(phone, request.form["sessionId"].strip())
    return jsonify({"status": "recorded"}), 200
