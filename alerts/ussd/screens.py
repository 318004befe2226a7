"""The USSD screens, one method each (`Screens`, mixed into the menu's walk), and matching a
typed district name. Pure, like the menu."""

from __future__ import annotations

import functools
import json

from alerts.domain.subscribers import Language, Subscription
from alerts.domain.text import key
from alerts.sms.subscriptions import covering, describe
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
from alerts.ussd.state import (
    MAX_CANDIDATES,
    MAX_TYPED,
    Context,
    Effect,
    Frame,
    JobView,
    Kind,
    ResumeAlerts,
    SendJob,
    State,
    StopAll,
    Subscribe,
    Unsubscribe,
    stack_from_json,
)
from config.reference import Reference
from messages import sms as sms_texts
from messages import ussd as texts
from messages.compose import to_gsm7


class Screens:
    """The screens of the menu; the walk (`menu._Walk`) provides state, context and wording."""

    # What the walk provides, declared so the screens type-check on their own.
    state: State
    ctx: Context
    ref: Reference
    lang: Language | None
    code: str

    def t(self, msgid: str, **values: object) -> str:
        """The message `msgid` in the walk's language; the walk defines it."""
        raise NotImplementedError

    def _lang0(self, arg: str) -> View:
        return View(
            [to_gsm7(f"{texts.WELCOME}\n{texts.LANGUAGE_HEAD}")],
            [(texts.LANGUAGE_NAMES[lang.value], PickLanguage(lang)) for lang in Language],
        )

    def _lang(self, arg: str) -> View:
        return View(
            [texts.LANGUAGE_HEAD],
            [(texts.LANGUAGE_NAMES[lang.value], PickLanguage(lang)) for lang in Language],
        )

    def _home(self, arg: str) -> View:
        return View(
            [self.t(texts.HOME_HEAD)],
            [
                (self.t(texts.MENU_SUBSCRIBE), GoTo(Frame(Kind.REGIONS))),
                (self.t(texts.MENU_ALERTS), GoTo(Frame(Kind.ALERTS))),
                (self.t(texts.MENU_JOBS), GoTo(Frame(Kind.JOBS))),
                (self.t(texts.MENU_LANGUAGE), GoTo(Frame(Kind.LANGUAGE))),
            ],
        )

    def _resume(self, arg: str) -> View:
        saved = stack_from_json(json.loads(arg))
        return View(
            [self.t(texts.RESUME_HEAD)],
            [(self.t(texts.YES), Reset(saved)), (self.t(texts.NO), Reset((Frame(Kind.HOME),)))],
        )

    def _regions(self, arg: str) -> View:
        return View(
            [self.t(texts.REGIONS_HEAD)],
            [(r.name, GoTo(Frame(Kind.DISTRICTS, r.slug))) for r in self.ref.regions.values()],
            extras=[(self.t(texts.TYPE_OPTION), GoTo(Frame(Kind.TYPE)))],
            typed=functools.partial(typed_answer, self.ctx),
        )

    def _type(self, arg: str) -> View:
        return View([self.t(texts.TYPE_HEAD)], typed=functools.partial(typed_answer, self.ctx))

    def _districts(self, arg: str) -> View:
        region = self.ref.regions[arg]
        whole: tuple[str, Action] = (
            self.t(texts.WHOLE_REGION),
            GoTo(Frame(Kind.CATEGORIES, f"r:{region.slug}")),
        )
        return View(
            [self.t(texts.DISTRICTS_HEAD, region=region.name)],
            [whole]
            + [
                (d.name, GoTo(Frame(Kind.CATEGORIES, f"d:{d.slug}")))
                for d in self.ref.districts_in(region.slug)
            ],
            typed=functools.partial(typed_answer, self.ctx),
        )

    def _cands(self, arg: str) -> View:
        return View(
            [self.t(texts.CANDIDATES_HEAD)],
            [
                (self.place_label(code), GoTo(Frame(Kind.CATEGORIES, code)))
                for code in arg.split(",")
            ],
        )

    def _cats(self, arg: str) -> View:
        self.place(arg)  # refuse an unknown place
        cats = self.ref.categories.values()
        every: tuple[str, Action] = (self.t(texts.ALL_JOBS), GoTo(Frame(Kind.CONFIRM, f"{arg}:*")))
        return View(
            [self.t(texts.CATEGORIES_HEAD, place=self.place_name(arg))],
            [every]
            + [
                (
                    c.bm if self.lang is Language.BM else c.fr,
                    GoTo(Frame(Kind.CONFIRM, f"{arg}:{c.slug}")),
                )
                for c in cats
            ],
        )

    def _confirm(self, arg: str) -> View:
        sub = self.subscription(arg)
        whats = self.whats(sub)
        done = texts.end_text(
            [self.t(texts.SUBSCRIBED_END, what=w) for w in whats], extra=self.t(texts.FREE)
        )
        effects: tuple[Effect, ...] = (Subscribe(sub),)
        broader = covering(self.state.subscriptions, sub, self.ref) if self.state.active else None
        if broader is not None:
            # Already theirs through a broader subscription: say so, store nothing.
            done = texts.end_text([self.t(texts.ALREADY_END, what=w) for w in self.whats(broader)])
            effects = ()
        return View(
            [self.t(texts.CONFIRM_HEAD, what=w) for w in whats],
            [(self.t(texts.YES), Finish(done, effects)), (self.t(texts.NO), Back())],
        )

    def _alerts(self, arg: str) -> View:
        subscribe = (self.t(texts.MENU_SUBSCRIBE), GoTo(Frame(Kind.REGIONS)))
        subs = self.state.subscriptions
        if not subs:
            return View([self.t(texts.ALERTS_NONE)], [subscribe])
        if not self.state.active:
            back = Finish(texts.end_text([self.t(texts.ALERTS_RESUMED_END)]), (ResumeAlerts(),))
            return View(
                [self.t(texts.ALERTS_STOPPED)],
                [(self.t(texts.RESUME_ALERTS_OPTION), back), subscribe],
            )
        return View(
            [self.t(texts.ALERTS_HEAD)],
            [(self.whats(s)[0], GoTo(Frame(Kind.REMOVE, s.code))) for s in subs],
            extras=[(self.t(texts.STOP_ALL_OPTION), GoTo(Frame(Kind.STOP_ALL)))],
        )

    def _remove(self, arg: str) -> View:
        sub = self.subscription(arg)
        whats = self.whats(sub)
        done = texts.end_text([self.t(texts.REMOVED_END, what=w) for w in whats])
        return View(
            [self.t(texts.REMOVE_HEAD, what=w) for w in whats],
            [(self.t(texts.YES), Finish(done, (Unsubscribe(sub),))), (self.t(texts.NO), Back())],
        )

    def _stopall(self, arg: str) -> View:
        done = texts.end_text([self.t(texts.STOPPED_END, code=self.ctx.ussd_code)])
        return View(
            [self.t(texts.STOP_HEAD)],
            [(self.t(texts.YES), Finish(done, (StopAll(),))), (self.t(texts.NO), Back())],
        )

    def _jobs(self, arg: str) -> View:
        jobs = self.jobs()
        if not jobs:
            return View([self.t(texts.JOBS_NONE)])
        return View(
            [self.t(texts.JOBS_HEAD)], [(j.label, GoTo(Frame(Kind.JOB, j.code))) for j in jobs]
        )

    def _job(self, arg: str) -> View:
        job = next((j for j in self.jobs() if j.code == arg), None)
        if job is None:
            return View([self.t(texts.JOB_GONE)])
        heads = texts.job_detail(
            self.code,
            code=job.code,
            title=job.title,
            organization=job.organization,
            places=job.places,
            deadline=job.deadline,
        )
        done = texts.end_text([self.t(texts.JOB_SENT_END, code=job.code)])
        return View(heads, [(self.t(texts.JOB_SMS_OPTION), Finish(done, (SendJob(job.code),)))])

    # -- helpers -----------------------------------------------------------------------------

    def jobs(self) -> tuple[JobView, ...]:
        if self.state.jobs is None:
            raise NeedJobs
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


def typed_answer(ctx: Context, text: str) -> Action:
    codes = candidates(text, ctx)
    if not codes:
        return Retry(texts.UNKNOWN_NAME)
    return GoTo(Frame(Kind.CANDIDATES, ",".join(codes)))


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
            codes = [
                f"d:{d.slug}"
                for d in ctx.reference.districts.values()
                if key(d.name).startswith(typed)
            ]
            codes += [
                f"r:{r.slug}"
                for r in ctx.reference.regions.values()
                if key(r.name).startswith(typed)
            ]
    return list(dict.fromkeys(codes))[:MAX_CANDIDATES]
