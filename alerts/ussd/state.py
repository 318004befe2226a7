"""A USSD call's state, the menu's effects and the limits both halves share.

`State` is what is stored about the caller (language, subscriptions, the screen the call began
on, a snapshot of open jobs); `Frame` one screen on the way; `Context` the reference data the
menu reads; the effects (`Subscribe`, `StopAll`, ...) what the webhook applies once the menu has
answered. Plain frozen dataclasses: no Flask, no Redis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from alerts.domain.places import Places
from alerts.domain.subscribers import Language, Subscription
from config.reference import Reference
from config.settings import DEFAULTS
from messages import ussd as texts
from messages.alert import display_title

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
#: Answers in one call: a real session cannot come near it in ~180 s.
MAX_ANSWERS = 100
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
        return [
            self.code,
            self.title,
            self.organization,
            list(self.places),
            self.deadline,
            int(self.mine),
        ]

    @classmethod
    def from_json(cls, data: Any) -> JobView:
        """Inverse of to_json()."""
        code, title, organization, places, deadline, mine = data
        return cls(
            str(code),
            str(title),
            str(organization),
            tuple(map(str, places)),
            str(deadline),
            bool(mine),
        )


@dataclass(frozen=True)
class Call:
    """A caller's last USSD call as stored: its session, first screen and answers (both JSON),
    and whether it ended (then it is never offered to continue)."""

    session_id: str
    first: str
    answers: str
    ended: bool

    @classmethod
    def from_row(cls, row: tuple[str, str, str, bool] | None) -> Call | None:
        """The store's row (session id, first screen, answers, ended) as a Call."""
        return None if row is None else cls(*row)


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
    ussd_code: str = DEFAULTS["USSD_CODE"]
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
