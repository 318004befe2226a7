"""What a parsed SMS means: its Intent, the Command the parser returns, and the conversation
State (a pending question) the parser reads. Plain types and thresholds, no logic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from alerts.domain.subscribers import Language

#: Longer texts are cut before parsing: nobody subscribes in paragraph ten.
MAX_PARSED = 480
#: Categories are never confirmed with a question, but a wrong one only narrows alerts; a
#: slip in a long job word ("sagefeme", 89) is still taken.
CATEGORY_SCORE = 85.0
#: Long job words lose letters ("mobilisatr", 83) and are rarely one edit from another word.
LONG_CATEGORY_SCORE = 80.0
LONG_CATEGORY_WORD = 9


class Intent(StrEnum):
    """What a text asks for."""

    SUBSCRIBE = "subscribe"
    STOP = "stop"
    START = "start"
    HELP = "help"
    LIST = "list"
    LANGUAGE = "language"
    OFFERS = "offers"
    INFO = "info"
    YES = "yes"
    NO = "no"
    RELAY = "relay"
    #: "ok", "merci", "barika", 👍 with no question pending: a thank-you, not a request.
    THANKS = "thanks"
    #: "c'est qui ?", "jɔn don?": the person asks who is writing (a relay's consent request).
    WHO = "who"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Pending:
    """A question Baara asked and is waiting for: 'Vous voulez dire SIKASSO ?'.

    With no place at all, it remembers the jobs named in a text that had no district
    ("je suis infirmier"), so the district sent next is subscribed with them.
    """

    districts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def asks_place(self) -> bool:
        """True when the question is 'did you mean <place>?' (so OUI/NON answer it)."""
        return bool(self.districts or self.regions)


@dataclass(frozen=True)
class State:
    """What the parser may know about the sender."""

    language: Language | None = None
    pending: Pending | None = None


@dataclass(frozen=True)
class Command:
    """The parsed meaning of one text."""

    intent: Intent
    districts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    #: Places matched with doubt: act only after the sender says yes.
    doubtful_districts: tuple[str, ...] = ()
    doubtful_regions: tuple[str, ...] = ()
    #: Language the text is written in, when the words say so.
    language: Language | None = None
    #: LANGUAGE: the language asked for.
    target: Language | None = None
    code: str | None = None
    #: INFO: the code was typed without its J ("486"); only a job with it makes this an INFO.
    guessed: bool = False
    phone: str | None = None
    words: tuple[str, ...] = field(default=(), compare=False)

    @property
    def has_place(self) -> bool:
        """True when the text names at least one place, certain or doubtful."""
        return bool(
            self.districts or self.regions or self.doubtful_districts or self.doubtful_regions
        )

    @property
    def doubtful(self) -> bool:
        """True when a place needs confirming before we act."""
        return bool(self.doubtful_districts or self.doubtful_regions)
