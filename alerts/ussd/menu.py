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

from collections.abc import Sequence
from dataclasses import replace

from alerts.domain.subscribers import Language
from alerts.ussd.actions import (
    Action,
    Back,
    Finish,
    GoTo,
    NeedJobs,
    PickLanguage,
    Reset,
    Retry,
    View,
)
from alerts.ussd.screens import Screens
from alerts.ussd.state import (
    BACK_KEY,
    HOME_KEY,
    MAX_CACHED_VIEWS,
    MAX_STACK,
    NEXT_KEYS,
    ROOTS,
    Context,
    Effect,
    Frame,
    Kind,
    Screen,
    SetLanguage,
    Stack,
    State,
)
from messages import ussd as texts

# -- the menu -------------------------------------------------------------------------------


def screen(state: State, path: Sequence[str], ctx: Context) -> Screen:
    """The reply to the answers `path` (AT's text split on '*'), and the effects to apply."""
    try:
        return _Walk(state, ctx).run(tuple(a.strip() for a in path))
    except NeedJobs:
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


class _Walk(Screens):
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
        return Screen(text, stack=stack, language=self.lang, effects=done if path else ())

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
        action: Action | None = None
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
            case GoTo(frame=nxt):
                return _push(stack, nxt), None, (), None
            case Back():
                return (stack[:-1] or stack), None, (), None
            case Reset(stack=new):
                return new, None, (), None
            case Retry(notice=notice):
                return stack, notice, (), None
            case PickLanguage(language=lang):
                self.set_language(lang)
                return (Frame(Kind.HOME),), texts.LANGUAGE_SET, (SetLanguage(lang),), None
            case Finish(text=ending, effects=done):
                return stack, None, done, ending
        raise AssertionError(action)

    # -- rendering ---------------------------------------------------------------------------

    def view_or_none(self, frame: Frame) -> View | None:
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

    def pages(self, view: View, frame: Frame) -> tuple[tuple[int, int], ...]:
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

    def view(self, frame: Frame) -> View:
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
