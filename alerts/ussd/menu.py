"""The USSD menu: subscribe, manage alerts, browse open jobs, on any basic phone.

`screen(state, path, ctx)` is the menu: a pure function of what is stored about the caller
  (language, subscriptions, the screen the call began on, a snapshot of open jobs) and the
  answers so far. It returns the reply and the effects to apply (subscribe, unsubscribe, stop,
  resume, language, send a job by SMS). No Flask, no Redis: tests call it directly. Its types
  are in `alerts/ussd/state.py`; the webhook around it is `alerts/web/ussd.py`.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from alerts.domain.text import key
from alerts.sms.subscriptions import covering, describe
from alerts.store import Language, Subscription
from alerts.ussd.state import (
    BACK_KEY,
    HOME_KEY,
    MAX_CACHED_VIEWS,
    MAX_CANDIDATES,
    MAX_STACK,
    MAX_TYPED,
    NEXT_KEYS,
    ROOTS,
    Context,
    Effect,
    Frame,
    JobView,
    Kind,
    ResumeAlerts,
    Screen,
    SendJob,
    SetLanguage,
    Stack,
    State,
    StopAll,
    Subscribe,
    Unsubscribe,
    stack_from_json,
)
from messages import sms as sms_texts
from messages import ussd as texts
from messages.compose import to_gsm7

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
