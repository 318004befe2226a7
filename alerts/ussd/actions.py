"""What one USSD answer does to the call (go to a screen, back, home, another language, retry,
finish) and the view of one screen: the menu's inner vocabulary, plain types."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from alerts.domain.subscribers import Language
from alerts.ussd.state import (
    Effect,
    Frame,
    Stack,
)
from messages import ussd as texts


@dataclass(frozen=True)
class GoTo:
    frame: Frame


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Reset:
    stack: Stack


@dataclass(frozen=True)
class PickLanguage:
    language: Language


@dataclass(frozen=True)
class Retry:
    notice: str  # msgid


@dataclass(frozen=True)
class Finish:
    text: str
    effects: tuple[Effect, ...] = ()


Action = GoTo | Back | Reset | PickLanguage | Retry | Finish


@dataclass
class View:
    heads: list[str]  # variants, longest first
    items: list[tuple[str, Action]] = field(default_factory=list)  # paginated
    extras: list[tuple[str, Action]] = field(default_factory=list)  # after items, every page
    typed: Callable[[str], Action] | None = None  # a non-numeric answer
    pages: tuple[tuple[int, int], ...] | None = None  # computed once, see _Walk.pages
    texts: dict = field(default_factory=dict)  # (page, notice) -> text, see _Walk.render

    @functools.cached_property
    def labels(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The items' and the extras' option texts, as shown."""
        return (
            tuple(texts.option_label(label) for label, _ in self.items),
            tuple(texts.option_label(label) for label, _ in self.extras),
        )


class NeedJobs(Exception):
    pass
