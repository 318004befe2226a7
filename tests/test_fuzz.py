"""Property tests and fuzzing (issue 8): the SMS parser, the replies, the USSD menu, the API.

Bounded so that `make test` stays quick: a few hundred examples per property, in-process.
"""

from __future__ import annotations

import itertools
import json
import random
import string

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from alerts.domain.places import Places
from alerts.sms.commands import Command, Intent, Pending, State, parse
from alerts.store import Language, Subscription
from alerts.ussd.menu import screen, split_path
from alerts.ussd.state import Context, JobView
from alerts.ussd.state import State as MenuState
from alerts.web.openapi import document
from config.reference import default_reference
from messages.compose import count_segments, gsm7_length, is_gsm7
from tests.conftest import change_settings

PLACES = Places.default()
CTX = Context(default_reference(), PLACES, "*384*22#")
FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

#: Words people send, so that generated texts reach past "unknown" into every command.
VOCABULARY = [
    "inscrire",
    "stop",
    "arret",
    "start",
    "reprendre",
    "aide",
    "help",
    "?",
    "liste",
    "mes alertes",
    "langue bm",
    "langue fr",
    "francais",
    "bamanankan",
    "offres",
    "baara",
    "info",
    "J482",
    "j 23",
    "oui",
    "non",
    "ayi",
    "awɔ",
    "tout",
    "niono",
    "segou",
    "ségou",
    "sikaso",
    "sikasso",
    "kati",
    "koulikoro",
    "bamako",
    "macina",
    "mopti",
    "gao",
    "kidal",
    "mobilisateur",
    "infirmier",
    "sage-femme",
    "district officer",
    "medecin",
    "relais",
    "n b'a fɛ baara sɔrɔ",
    "a jɔ",
    "dɛmɛ",
    "je veux",
    "76 12 34 56",
    "+22366123456",
    "👍",
    "👍🏾",
    "😀",
    "€",
    "{",
    "\\",
    "^",
    "~",
    "[",
    "|",
    "\n",
    "\x00",
    "\u200b",
    "ß",
    "ç",
    "É",
]
words = st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=12))
texts = st.one_of(
    st.text(max_size=200),
    st.lists(words, max_size=8).map(" ".join),
    st.text(min_size=400, max_size=5000),
)


# -- (a) the SMS parser -----------------------------------------------------------------------

pendings = st.one_of(
    st.none(),
    st.just(Pending(districts=("sikasso",))),
    st.just(Pending(regions=("segou",))),
    st.just(Pending(categories=("nurse",))),
)
parser_states = st.builds(State, language=st.sampled_from([None, *Language]), pending=pendings)


@settings(max_examples=400, deadline=None)
@given(text=texts, state=parser_states)
def test_parser_never_raises_and_returns_a_command(text: str, state: State) -> None:
    result = parse(text, state, PLACES)
    assert isinstance(result, Command)
    assert isinstance(result.intent, Intent)
    for slug in result.districts + result.doubtful_districts:
        assert slug in CTX.reference.districts
    for slug in result.regions + result.doubtful_regions:
        assert slug in CTX.reference.regions


def test_parser_handles_a_huge_text_quickly() -> None:
    result = parse("niono " * 200_000, State(), PLACES)
    assert result.intent is Intent.SUBSCRIBE
    assert result.districts == ("niono",)


# -- (b) every SMS reply: GSM-7, one segment --------------------------------------------------

_phones = itertools.count()


def fresh_phone() -> str:
    """A number nobody used yet in this session: each example starts a new conversation."""
    n = next(_phones)
    return f"+22376{n % 1000:03d}{n // 1000 % 1000:03d}"


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(conversation=st.lists(texts, min_size=1, max_size=3))
def test_every_reply_is_one_gsm7_segment(client, at_server, conversation: list[str]) -> None:
    phone = fresh_phone()
    before = len(at_server.messages)
    for n, text in enumerate(conversation):
        response = client.post(
            "/sms/incoming",
            data={
                "from": phone,
                "to": "36030",
                "text": text,
                "date": "2026-05-03 06:04:45",
                "id": f"fuzz-{phone}-{n}",
            },
        )
        assert response.status_code == 200, response.get_data(as_text=True)
    # Every SMS sent meanwhile: replies, and a relay's consent request to another number.
    for message in at_server.messages[before:]:
        text = message["message"]
        assert text, message
        assert is_gsm7(text), text
        assert count_segments(text).segments == 1, (count_segments(text), text)


# -- (c) the USSD menu --------------------------------------------------------------------------

answers = st.one_of(
    st.sampled_from(["0", "00", "99", "#", "", "1", "2", "3", "4", "5", "6", "7", "8", "9"]),
    st.integers(min_value=0, max_value=10**6).map(str),
    st.sampled_from(["kati", "niono", "sikaso", "segou", "bamako", "tout", "koulikoro"]),
    st.text(max_size=80),
)
#: AT's text: the answers joined by '*' (a typed answer may hold a '*' itself).
ussd_texts = st.lists(answers, max_size=12).map("*".join)
job_views = st.builds(
    JobView,
    code=st.from_regex(r"J[2-9]{3,5}", fullmatch=True),
    title=st.text(min_size=1, max_size=200),
    organization=st.text(max_size=120),
    places=st.lists(
        st.sampled_from(["Kati", "Niono", "Ségou", "Kadiolo", "Bamako"]), min_size=1, max_size=4
    ).map(tuple),
    deadline=st.just("16/06/2026 17h00"),
    mine=st.booleans(),
)
subscriptions = st.lists(
    st.one_of(
        st.builds(Subscription, district=st.sampled_from(sorted(CTX.reference.districts))),
        st.builds(
            Subscription,
            region=st.sampled_from(sorted(CTX.reference.regions)),
            category=st.sampled_from([None, *sorted(CTX.reference.categories)]),
        ),
    ),
    max_size=8,
    unique=True,
).map(tuple)
menu_states = st.builds(
    MenuState,
    language=st.sampled_from([None, *Language]),
    subscriptions=subscriptions,
    active=st.booleans(),
    jobs=st.lists(job_views, max_size=25).map(tuple),
)


def assert_ussd_reply(body: str) -> None:
    """'CON '/'END ' and a screen that fits 160 GSM-7 characters."""
    assert body.startswith(("CON ", "END ")), body
    assert is_gsm7(body), body
    assert gsm7_length(body) <= 160, (gsm7_length(body), body)


@settings(max_examples=400, deadline=None)
@given(state=menu_states, text=ussd_texts)
def test_menu_always_answers_one_screen(state: MenuState, text: str) -> None:
    result = screen(state, split_path(text), CTX)
    assert not result.needs_jobs  # the state came with its jobs
    assert_ussd_reply(result.body)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(text=ussd_texts, session=st.integers(0, 3))
def test_ussd_webhook_always_answers_one_screen(client, text: str, session: int) -> None:
    response = client.post(
        "/ussd",
        data={
            "sessionId": f"fuzz-{session}",
            "serviceCode": "*384*22#",
            "phoneNumber": "+22376000001",
            "networkCode": "61001",
            "text": text,
        },
    )
    if response.status_code == 400:  # over the request bounds: refused, naming the field
        assert response.get_json()["field"] == "text"
        return
    assert response.status_code == 200
    assert_ussd_reply(response.get_data(as_text=True))


# -- (d) the JSON API against its own description --------------------------------------------


# The document is static, so it is loaded at import; requests go to each test's app (WSGI).
# (schemathesis.pytest.from_fixture would fetch it from the app, but breaks under pytest 9.)
schema = schemathesis.openapi.from_dict(document())
schema.config.generation.update(modes=[GenerationMode.POSITIVE])
#: Requests that break the description on purpose: whatever they get, it is never a 5xx.
#: (A phone with a line break matches no route: Flask's plain 404, which is fine.)
#: The description itself takes no input at all, so nothing invalid exists to send it.
broken = schemathesis.openapi.from_dict(document()).exclude(path="/api/openapi.json")
broken.config.generation.update(modes=[GenerationMode.NEGATIVE])


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_description(app, case, api_headers) -> None:
    case.call_and_validate(
        app=app,
        headers=api_headers,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )


@broken.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_survives_requests_outside_its_description(app, case, api_headers) -> None:
    case.call_and_validate(app=app, headers=api_headers, checks=[not_a_server_error])


# -- 10,000 generated requests, zero 5xx --------------------------------------------------------

WEBHOOK_FIELDS = {
    "/sms/incoming": ["from", "to", "text", "date", "id", "linkId", "networkCode"],
    "/sms/delivery": ["id", "status", "phoneNumber", "failureReason", "networkCode", "retryCount"],
    "/sms/opt-out": ["senderId", "phoneNumber"],
    "/ussd": ["sessionId", "serviceCode", "phoneNumber", "networkCode", "text"],
    "/ussd/events": ["sessionId", "phoneNumber", "status", "durationInMillis", "input"],
}
API_ROUTES = [
    ("GET", "/api/subscribers/{phone}"),
    ("DELETE", "/api/subscribers/{phone}"),
    ("POST", "/api/jobs"),
    ("GET", "/api/jobs"),
    ("GET", "/api/jobs/{job}"),
    ("POST", "/api/jobs/{job}/close"),
    ("POST", "/api/jobs/{job}/cancel"),
    ("POST", "/api/jobs/{job}/publish"),
    ("GET", "/api/relays"),
    ("PUT", "/api/relays/{phone}"),
    ("DELETE", "/api/relays/{phone}"),
    ("GET", "/api/openapi.json"),
]


def _wire(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


class Garbage:
    """Random request values, mostly plausible, often not (seeded: failures replay)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def text(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.4:
            return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(1, 5)))
        if kind < 0.6:
            return "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(0, 40)))
        if kind < 0.7:
            return rng.choice(string.printable) * rng.randint(500, 6000)
        if kind < 0.8:
            return "*".join(str(rng.randint(0, 120)) for _ in range(rng.randint(0, 30)))
        return "".join(rng.choices(string.printable, k=rng.randint(0, 30)))

    def phone(self) -> str:
        rng = self.rng
        if rng.random() < 0.7:
            return (
                rng.choice(["+223", "00223", "223", ""])
                + rng.choice("6789")
                + "".join(rng.choices("0123456789", k=7))
            )
        return self.text()

    def value(self, name: str) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            return self.text()
        if name in ("from", "phoneNumber"):
            return self.phone()
        if name == "date":
            return rng.choice(["2026-05-03 06:04:45", "2026-05-03T06:04:45Z", "hier", ""])
        if name == "status":
            return rng.choice(["Success", "Failed", "Rejected", "Buffered", "Sent", "?"])
        if name in ("id", "sessionId"):
            return f"g{rng.randint(0, 300)}"
        return self.text()

    def form(self, path: str) -> dict[str, str]:
        """A form for a webhook: usually every field, sometimes one missing or extra."""
        fields = [f for f in WEBHOOK_FIELDS[path] if self.rng.random() < 0.95]
        form = {name: self.value(name) for name in fields}
        if self.rng.random() < 0.1:
            form[self.text()[:20]] = self.text()
        # A form on the wire is bytes: a lone surrogate cannot be in it (JSON escapes can).
        return {_wire(k): _wire(v) for k, v in form.items()}

    def json_value(self, depth: int = 0) -> object:
        rng = self.rng
        choice = rng.randint(0, 7 if depth < 3 else 4)
        if choice == 0:
            return None
        if choice == 1:
            return rng.choice([True, False])
        if choice == 2:
            return rng.choice([0, -1, 1, 2**63, 1e308, 0.5, float("inf")])
        if choice in (3, 4):
            return rng.choice(
                [
                    self.text(),
                    rng.choice(VOCABULARY),
                    "2026-12-16T17:00",
                    "2026-12-16",
                    "recrutement@example.org",
                ]
            )
        if choice in (5, 6):
            return [self.json_value(depth + 1) for _ in range(rng.randint(0, 4))]
        return {
            rng.choice(["title", "apply", "districts", "x"]): self.json_value(depth + 1)
            for _ in range(rng.randint(0, 3))
        }

    def job(self) -> object:
        """A job posting with each field valid or not."""
        rng = self.rng
        body = {
            "title": "Infirmier d'État",
            "organization": "ALIMA",
            "category": "nurse",
            "districts": ["Niono"],
            "deadline": "2026-12-16T17:00",
            "apply": "recrutement@example.org",
            "publish": rng.random() < 0.5,
        }
        for name in list(body):
            if rng.random() < 0.25:
                body[name] = self.json_value()
        if rng.random() < 0.1:
            return self.json_value()
        return body

    def api(self) -> tuple[str, str, bytes, dict[str, str]]:
        rng = self.rng
        method, path = rng.choice(API_ROUTES)
        path = path.replace("{phone}", _wire(self.phone()).replace("/", "%2F")[:40] or "x")
        path = path.replace(
            "{job}",
            rng.choice(["1", "2", "J482", "0", _wire(self.text()[:30])])
            .replace("/", "_")
            .replace("?", "_")
            .replace("#", "_")
            or "1",
        )
        if rng.random() < 0.2:
            path += "?" + rng.choice(["limit=", "offset=", "limit=-1", "offset=x&limit=999999"])
        if path.startswith("/api/jobs") and method == "POST" and "/" not in path[6:]:
            payload = self.job()
        elif method == "PUT":
            payload = {"districts": self.json_value()} if rng.random() < 0.8 else self.json_value()
        else:
            payload = None
        if rng.random() < 0.05:
            data = self.text().encode("utf-8", "surrogatepass")
        else:
            data = json.dumps(payload).encode() if payload is not None else b""
        headers = {"Content-Type": "application/json"}
        if rng.random() < 0.9:
            headers["Authorization"] = "Bearer test-token"
        return method, path, data, headers


def test_ten_thousand_generated_requests_give_no_server_error(app, client) -> None:
    # Real sends are not what this measures: replies are queued, not delivered inline.
    from alerts import services

    services.init_app(app, change_settings(app, RQ_SYNC=False))
    garbage = Garbage(seed=8)
    statuses: dict[int, int] = {}
    failures: list[str] = []
    webhooks = list(WEBHOOK_FIELDS)
    for n in range(10_000):
        if n % 3 == 2:
            method, path, data, headers = garbage.api()
            response = client.open(path, method=method, data=data, headers=headers)
        else:
            path = garbage.rng.choice(webhooks)
            method = "POST"
            response = client.post(path, data=garbage.form(path))
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500 and len(failures) < 5:
            failures.append(
                f"#{n} {method} {path[:80]}: {response.status_code} "
                f"{response.get_data(as_text=True)[:200]}"
            )
    assert sum(statuses.values()) == 10_000
    assert not failures, failures
    # The mix reached past the refusals: real work was done, not only 400s.
    assert statuses.get(200, 0) > 2_000, statuses
    assert statuses.get(400, 0) > 500, statuses
