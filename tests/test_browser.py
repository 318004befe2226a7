"""Browser tests: Debian's Chromium, headless, driven by Playwright, against the real app on a
real HTTP server, a real RQ worker process and the app's own simulated AT gateway.

The tour a recruiter takes: a subscriber signs up by USSD on the phone simulator; the recruiter
signs in, fills the form with a seed posting, reads the SMS preview's segment count, reach and
cost, publishes, watches the progress bar reach the end; the alert shows on the simulated phone.
On failure a screenshot is saved under test-artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts.services import services_of
from tests.conftest import ROOT

CHROMIUM = os.environ.get("BAARA_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (.ci/run installs Debian's chromium)", allow_module_level=True
    )

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.browser_stack import LiveStack  # noqa: E402

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RECRUITER = ("recruteuse@amcp-sp.ml", "niono-macina-2025")
USSD_PHONE = "+22370000011"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def stack(redis_server) -> Iterator[LiveStack]:
    """Web, worker and simulated gateway on a clean database."""
    import redis as redis_lib

    redis_lib.Redis.from_url(redis_server.url).flushall()
    live = LiveStack(redis_server.url, ARTIFACTS / "logs")
    live.start()
    with live.app.app_context():
        from alerts.store import Language, Subscription, current_store
        from alerts.web import accounts

        st = current_store()
        accounts.create_account(st, *RECRUITER, role="poster")
        st.subscribe("+22376100001", [Subscription(district="niono")])
        st.subscribe("+22376100002", [Subscription(district="macina")], language=Language.BM)
        st.subscribe("+22376100003", [Subscription(region="segou", category="community-mobilizer")])
        st.subscribe("+22376100000", [Subscription(district="niono")])  # a phone that is off
        st.subscribe("+22376100004", [Subscription(district="kati")])  # not reached
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, request) -> Iterator[Page]:
    """A fresh browser context on a 360-px phone screen; console errors are collected."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="fr-FR", timezone_id="Africa/Bamako"
    )
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.console_errors = []  # type: ignore[attr-defined]
    tab.on("console", lambda m: m.type == "error" and tab.console_errors.append(m.text))
    tab.on("pageerror", lambda e: tab.console_errors.append(str(e)))
    yield tab
    context.close()


@contextlib.contextmanager
def screenshot_on_failure(page: Page, name: str) -> Iterator[None]:
    """Save what the browser showed when a step failed."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise


def ussd_pick(page: Page, label: str) -> None:
    """Answer the USSD screen with the number of the option whose text contains label."""
    screen = page.locator("[data-ussd-text]")
    expect(screen).to_contain_text(re.compile(re.escape(label), re.I))
    text = screen.inner_text()
    number = next(
        m.group(1)
        for m in re.finditer(r"^(\d+) (.*)$", text, re.M)
        if label.lower() in m.group(2).lower()
    )
    ussd_answer(page, number)


def ussd_answer(page: Page, text: str) -> None:
    before = page.locator("[data-ussd-text]").inner_text()
    page.fill("#ussd-input", text)
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("[data-ussd-text]")).not_to_have_text(before)


def deadline_in(days: int) -> str:
    return (datetime.now(ZoneInfo("Africa/Bamako")) + timedelta(days=days)).strftime("%Y-%m-%d")


def sign_in(page: Page, stack: LiveStack) -> None:
    page.goto(f"{stack.url}/admin/login")
    page.get_by_label("Adresse e-mail").fill(RECRUITER[0])
    page.get_by_label("Mot de passe").fill(RECRUITER[1])
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()


def test_tour_ussd_signup_post_publish_watch_and_receive(stack: LiveStack, page: Page) -> None:
    with screenshot_on_failure(page, "tour"):
        # 1. A subscriber signs up by USSD on the phone simulator.
        page.goto(f"{stack.url}/simulator?phone={USSD_PHONE}")
        page.get_by_role("button", name="Composer (USSD)").click()
        page.fill("#dial-input", services_of(stack.app).settings.ussd_code)
        page.get_by_role("button", name="Appeler").click()
        ussd_pick(page, "Francais")
        ussd_pick(page, "M'inscrire")
        ussd_pick(page, "crire le nom du district")
        ussd_answer(page, "Niono")
        ussd_pick(page, "Niono")
        ussd_pick(page, "Toutes les offres")
        ussd_pick(page, "Oui")
        expect(page.locator("[data-ussd-text]")).to_contain_text("C'est fait")
        page.get_by_role("button", name="OK").click()

        # 2. The recruiter signs in and fills the form with the AMCP-SP/ALIMA seed posting.
        sign_in(page, stack)
        page.get_by_role("button", name="Menu").click()  # a 360-px phone: the menu is folded
        page.get_by_role("link", name="Nouvelle offre").click()
        page.get_by_label("Intitulé du poste").fill("Mobilisateur communautaire")
        page.get_by_label("Organisation qui recrute").fill("AMCP-SP/ALIMA")
        page.get_by_label("Catégorie").select_option(label="Mobilisateur communautaire")
        page.get_by_label("Nombre de postes").fill("2")
        page.get_by_label("Chercher un district ou une région").fill("nio")
        page.get_by_label("Niono", exact=True).check()
        page.get_by_label("Chercher un district ou une région").fill("macina")
        page.get_by_label("Macina", exact=True).check()
        expect(page.locator("[data-chosen-list]")).to_have_text("Macina, Niono")
        page.get_by_label("Date limite", exact=True).fill(deadline_in(20))
        page.get_by_label("Heure limite (facultatif)").fill("17:00")
        page.get_by_label("E-mail de candidature").fill("recrutement@mali.alima.ngo")

        # 3. Before sending: the SMS in both languages, its size, the reach and the cost.
        french = page.locator('.sms[data-lang="fr"]')
        expect(french.locator('[data-field="text"]')).to_contain_text("AMCP-SP/ALIMA")
        expect(french.locator('[data-field="segments"]')).to_have_text("1")
        expect(french.locator('[data-field="encoding"]')).to_have_text("GSM-7")
        # Niono: 2 + the USSD sign-up; Macina: 1 (bm); Ségou mobilizers: 1. Kati is not.
        expect(page.locator('[data-field="reach"]')).to_have_text("5 abonné(s)")
        expect(page.locator('[data-field="cost"]')).to_have_text("125 XOF")
        bamanankan = page.locator('.sms[data-lang="bm"]')
        expect(bamanankan.locator('[data-field="recipients"]')).to_have_text("1")

        # 4. Publish, and watch every alert go out.
        page.get_by_role("button", name="Publier maintenant").click()
        expect(page.locator(".flash-success")).to_contain_text("publiée")
        code = page.locator("h1 .code").inner_text()
        assert re.fullmatch(r"J[2-9]{3,6}", code)
        expect(page.locator("#fanout-progress")).to_have_attribute("value", "100")
        expect(page.locator("[data-progress-state]")).to_have_text("Envoi terminé.")
        expect(page.locator('td[data-field="sent"]')).to_have_text("5")
        # The simulated network reports deliveries; the number ending in 00 is switched off.
        expect(page.locator('td[data-field="delivered"]')).to_have_text("4")
        expect(page.locator("[data-reasons]")).to_contain_text("AbsentSubscriber")

        # 5. The alert is on the subscriber's simulated phone.
        page.goto(f"{stack.url}/simulator?phone={USSD_PHONE}")
        page.get_by_role("button", name=re.compile("^Messages")).click()
        inbox = page.locator("[data-inbox]")
        expect(inbox).to_contain_text(f"Baara {code}")
        expect(inbox).to_contain_text("Mobilisateur communautaire")
        assert page.console_errors == []  # type: ignore[attr-defined]


def test_script_in_a_title_stays_text_in_the_browser(stack: LiveStack, page: Page) -> None:
    title = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    with stack.app.app_context():
        from alerts.jobs import lifecycle as jobs
        from alerts.services import current_services

        job, errors = jobs.create_job(
            current_services(),
            {
                "title": title,
                "organization": "ONG <b>test</b>",
                "category": "nurse",
                "districts": ["Kati"],
                "deadline": deadline_in(10),
                "apply": "appeler le 76 00 00 00",
            },
            created_by=RECRUITER[0],
        )
        assert job is not None, errors
    with screenshot_on_failure(page, "xss"):
        sign_in(page, stack)
        for path in ("/admin/jobs", f"/admin/jobs/{job.id}", "/admin/"):
            page.goto(f"{stack.url}{path}")
            expect(page.get_by_text("<script>window.__xss=2</script>").first).to_be_visible()
            assert page.evaluate("typeof window.__xss") == "undefined"
        page.goto(f"{stack.url}/admin/jobs/new?from={job.id}")
        expect(page.get_by_label("Intitulé du poste")).to_have_value(title)
        page.wait_for_timeout(300)
        assert page.evaluate("typeof window.__xss") == "undefined"


def test_pages_fit_a_360_px_screen(stack: LiveStack, page: Page) -> None:
    with screenshot_on_failure(page, "small-screen"):
        sign_in(page, stack)
        for path in ("/admin/", "/admin/jobs", "/admin/jobs/new", "/admin/password", "/simulator"):
            page.goto(f"{stack.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (path, width)
        # Keyboard only: the search box and a district checkbox are reachable and usable.
        page.goto(f"{stack.url}/admin/jobs/new")
        page.get_by_label("Chercher un district ou une région").focus()
        page.keyboard.type("kati")
        # The filter opened Koulikoro: Tab through its summary and "whole region" to Kati.
        for _ in range(5):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.value") == "kati":
                break
        page.keyboard.press("Space")
        kati = page.get_by_label("Kati", exact=True)
        expect(kati).to_be_checked()
        expect(page.locator("[data-chosen-list]")).to_have_text("Kati")
        assert page.console_errors == []  # type: ignore[attr-defined]
