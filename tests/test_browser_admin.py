"""The admin web in Debian's Chromium (issue 14), at 1280 px and 360 px, as a newcomer meets it:
axe-core finds no serious or critical problem on any admin page; a subscriber's page shows the
alert and why it failed; a temporary password must be changed first; lists are readable on a
phone; the simulator shows the switched-off phone's alert as not delivered.

axe-core comes inside the axe-playwright-python wheel (no CDN).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

# Skips this module too when there is no Chromium.
from tests import test_browser as tour
from tests.test_browser import TIMEOUT_MS, deadline_in, screenshot_on_failure

# The tour's fixtures, for this module: its own live stack and browser.
stack = tour.stack
browser = tour.browser

ADMIN = ("support@amcp-sp.ml", "support-baara-2026")
OFF_PHONE = "+22376100000"  # ends in 00: the simulated network never delivers to it
WIDTHS = {"desktop": (1280, 800), "phone": (360, 740)}
#: axe-core impacts that fail the pass.
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def published(stack) -> dict[str, str]:
    """An admin account and one published job whose alerts have left and been reported on."""
    with stack.app.app_context():
        from alerts.jobs import lifecycle as jobs
        from alerts.services import current_services
        from alerts.store import current_store
        from alerts.web import accounts

        accounts.create_account(current_store(), *ADMIN, role="admin")
        job, errors = jobs.create_job(
            current_services(),
            {
                "title": "Infirmier d'Etat",
                "organization": "ALIMA",
                "category": "nurse",
                "districts": ["Niono"],
                "deadline": deadline_in(15),
                "apply": "recrutement@alima.ngo",
                "publish": True,
            },
            created_by=ADMIN[0],
        )
        assert job is not None, errors
        draft, errors = jobs.create_job(
            current_services(),
            {
                "title": "Sage-femme",
                "organization": "Muso",
                "category": "midwife",
                "districts": ["Kati"],
                "deadline": deadline_in(20),
                "apply": "76 00 00 01",
            },
            created_by=ADMIN[0],
        )
        assert draft is not None, errors
        current_store().put_relay("+22376300001", ["niono", "macina"], status="approved")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            records = current_store().alert_history(OFF_PHONE)
            if records and records[0].outcome == "f":
                break
            time.sleep(0.2)
        return {"job": job.id, "code": job.code, "draft": draft.id}


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def tab(browser, request) -> Iterator[Page]:
    """A fresh context at each width, French locale, console errors collected."""
    width, height = WIDTHS[request.param]
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="fr-FR", timezone_id="Africa/Bamako"
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.width = width  # type: ignore[attr-defined]
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


def sign_in(page: Page, stack, who: tuple[str, str] = ADMIN) -> None:
    page.goto(f"{stack.url}/admin/login")
    page.get_by_label("Adresse e-mail").fill(who[0])
    page.get_by_label("Mot de passe").fill(who[1])
    page.get_by_role("button", name="Se connecter").click()


def admin_pages(published: dict[str, str]) -> list[str]:
    """Every page of the admin web (and the simulator), in the states a newcomer meets."""
    return [
        "/admin/",
        "/admin/jobs",
        "/admin/jobs/new",
        f"/admin/jobs/{published['job']}",
        f"/admin/jobs/{published['draft']}",
        f"/admin/jobs/new?from={published['job']}",
        "/admin/subscribers",
        "/admin/subscribers?q=7610",
        "/admin/subscribers?q=12",
        f"/admin/subscribers/{OFF_PHONE}",
        "/admin/relays",
        "/admin/queues",
        "/admin/accounts",
        "/admin/password",
        "/admin/nulle-part",
        f"/simulator?phone={OFF_PHONE}",
    ]


def axe_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]


def test_axe_finds_nothing_serious_on_any_admin_page(stack, published, tab: Page) -> None:
    problems: dict[str, list[str]] = {}
    with screenshot_on_failure(tab, f"axe-{tab.width}"):  # type: ignore[attr-defined]
        tab.goto(f"{stack.url}/admin/login")
        problems["/admin/login"] = axe_problems(tab)
        sign_in(tab, stack)
        expect(tab.get_by_role("heading", name="Tableau de bord")).to_be_visible()
        for path in admin_pages(published):
            tab.goto(f"{stack.url}{path}")
            problems[path] = axe_problems(tab)
        # The job form after a failed submit: error summary, red fields.
        tab.goto(f"{stack.url}/admin/jobs/new")
        tab.get_by_role("button", name="Publier maintenant").click()
        expect(tab.locator("[data-error-summary]")).to_be_visible()
        problems["/admin/jobs/new (refused)"] = axe_problems(tab)
        # The relay form after a refused place.
        tab.goto(f"{stack.url}/admin/relays")
        tab.get_by_label("Numéro du relais").fill("76 12 34 56")
        tab.get_by_label(re.compile("^Districts")).fill("Atlantis")
        tab.get_by_role("button", name=re.compile("Enregistrer|Ajouter")).click()
        problems["/admin/relays (refused)"] = axe_problems(tab)
    found = {path: p for path, p in problems.items() if p}
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert script_errors(tab) == []


def script_errors(page: Page) -> list[str]:
    """Console errors, less the 400/404 statuses of the pages we asked for on purpose."""
    expected = re.compile(r"Failed to load resource: .*status of (400|404)")
    return [e for e in page.console_errors if not expected.search(e)]  # type: ignore[attr-defined]


def test_subscriber_page_shows_the_alert_and_why_it_failed(stack, published, tab: Page) -> None:
    with screenshot_on_failure(tab, f"alert-history-{tab.width}"):  # type: ignore[attr-defined]
        sign_in(tab, stack)
        tab.goto(f"{stack.url}/admin/subscribers")
        tab.get_by_label("Numéro de téléphone").fill("76 10 00 00")
        tab.get_by_role("button", name="Chercher").click()
        history = tab.locator("[data-alert-history]")
        row = history.locator(f'tr[data-job="{published["job"]}"]')
        expect(row).to_contain_text(published["code"])
        expect(row).to_contain_text("Infirmier d'Etat")
        expect(row.locator('[data-field="outcome"]')).to_contain_text("Non remise")
        expect(row.locator('[data-field="reason"]')).to_have_text("Téléphone éteint ou hors réseau")
        box = row.bounding_box()
        assert box is not None and box["x"] + box["width"] <= tab.width  # type: ignore[attr-defined]
        # The job links back; its page keeps the sending history with times.
        row.get_by_role("link").click()
        expect(tab.locator('[data-timeline] [data-step="first_sent_at"]')).to_be_visible()
        expect(tab.locator('[data-timeline] [data-step="first_report_at"]')).to_be_visible()
    assert script_errors(tab) == []


def test_simulator_shows_the_switched_off_phone_got_nothing(stack, published, tab: Page) -> None:
    with screenshot_on_failure(tab, f"sim-off-{tab.width}"):  # type: ignore[attr-defined]
        tab.goto(f"{stack.url}/simulator?phone={OFF_PHONE}")
        expect(tab.get_by_role("button", name=re.compile("^Messages"))).to_contain_text("(0)")
        tab.get_by_role("button", name=re.compile("^Messages")).click()
        lost = tab.locator("[data-inbox] [data-undelivered]").first
        expect(lost).to_contain_text("Non remis : téléphone éteint")
        expect(lost).to_contain_text(published["code"])
    assert script_errors(tab) == []


def test_temporary_password_must_be_changed_before_anything_else(
    stack, published, tab: Page
) -> None:
    email = f"recrue-{tab.width}@muso.ml"  # type: ignore[attr-defined]
    with screenshot_on_failure(tab, f"forced-password-{tab.width}"):  # type: ignore[attr-defined]
        sign_in(tab, stack)
        tab.goto(f"{stack.url}/admin/accounts")
        tab.get_by_label("Adresse e-mail").fill(email)
        tab.get_by_label("Mot de passe provisoire").fill("provisoire-123")
        tab.get_by_label("Répéter le mot de passe").fill("provisoire-123")
        tab.get_by_role("button", name=re.compile("Créer")).click()
        expect(tab.locator(".flash-success")).to_contain_text(email)
        tab.get_by_role("button", name="Menu").click() if tab.width < 960 else None  # type: ignore[attr-defined]
        tab.get_by_role("button", name="Se déconnecter").click()

        sign_in(tab, stack, (email, "provisoire-123"))
        expect(tab).to_have_url(re.compile(r"/admin/password$"))
        expect(tab.locator("[data-forced-change]")).to_be_visible()
        tab.goto(f"{stack.url}/admin/jobs/new")
        expect(tab).to_have_url(re.compile(r"/admin/password$"))
        tab.get_by_label("Mot de passe actuel").fill("provisoire-123")
        tab.get_by_label("Nouveau mot de passe", exact=True).fill("mon-secret-a-moi")
        tab.get_by_label("Répéter le nouveau mot de passe").fill("mon-secret-a-moi")
        tab.get_by_role("button", name="Enregistrer").click()
        expect(tab.get_by_role("heading", name="Tableau de bord")).to_be_visible()
        tab.goto(f"{stack.url}/admin/jobs/new")
        expect(tab.get_by_role("heading", name="Nouvelle offre")).to_be_visible()
    assert script_errors(tab) == []


LISTS = [
    "/admin/",
    "/admin/jobs",
    "/admin/queues",
    "/admin/accounts",
    "/admin/relays",
    "/admin/subscribers?q=7610",
]


def test_lists_are_readable_on_a_phone_and_the_menu_is_compact(stack, published, browser) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    with screenshot_on_failure(page, "lists-360"):
        sign_in(page, stack)
        expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
        # admin.js folds the menu (without script it stays open, so the pages stay usable):
        # measure once the toggle it shows is there, not while the page is still loading.
        menu = page.get_by_role("button", name="Menu")
        expect(menu).to_be_visible()
        expect(menu).to_have_attribute("aria-expanded", "false")
        header = page.locator("header.top").bounding_box()
        assert header is not None and header["height"] <= 80, header
        menu.click()
        expect(page.get_by_role("link", name="Offres", exact=True)).to_be_visible()
        for path in LISTS:
            page.goto(f"{stack.url}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
            # Every cell of every list is on screen: nothing hides behind a scroll or a clip.
            cells = page.locator("table.stacked td, table.stacked tbody th")
            assert cells.count() > 0, path
            overflow = page.evaluate("""() => Array.from(
                document.querySelectorAll('table.stacked td, table.stacked tbody th'))
                .filter(c => c.getClientRects().length)
                .filter(c => {
                  const r = c.getBoundingClientRect();
                  const box = c.closest('.table-wrap').getBoundingClientRect();
                  return r.right > 360.5 || r.left < -0.5 || r.bottom > box.bottom + 0.5
                    || r.top < box.top - 0.5;
                }).length""")
            assert overflow == 0, path
            if path == "/admin/":
                # Chart labels stay whole inside their chart ("Mobilisateur communautaire").
                labels = page.evaluate("""() => Array.from(
                    document.querySelectorAll('svg text.c-label')).map(t => {
                      const b = t.getBBox();
                      return [t.textContent, b.x, b.x + b.width,
                              t.ownerSVGElement.viewBox.baseVal.width];
                    })""")
                assert "Mobilisateur communautaire" in [t for t, *_ in labels], labels
                assert [x for x in labels if x[1] < -2 or x[2] > x[3]] == []  # -2: glyph overhang
            labelled = page.evaluate("""() => Array.from(
                document.querySelectorAll('table.stacked tbody td:not([colspan])'))
                .every(c => c.dataset.label)""")
            assert labelled, path
    context.close()


FRENCH_PAGES_ENGLISH = re.compile(
    r"\b(unknown|must|required|between|the|not found|bad request|forbidden|method not allowed"
    r"|error|please|invalid|request|submit|loading|search)\b",
    re.I,
)


def test_no_english_on_french_pages(stack, published, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    with screenshot_on_failure(page, "english"):
        sign_in(page, stack)
        english = {}
        for path in [*admin_pages(published), "/admin/jobs/999", "/admin/x/y"]:
            page.goto(f"{stack.url}{path}")
            text = page.locator("body").inner_text()
            if hit := FRENCH_PAGES_ENGLISH.search(text):
                english[path] = hit.group(0)
        page.goto(f"{stack.url}/admin/relays")
        page.get_by_label("Numéro du relais").fill("76 12 34 56")
        page.get_by_label(re.compile("^Districts")).fill("Niono, Atlantis")
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.locator("body")).to_contain_text("District ou région inconnu : Atlantis")
        text = page.locator("body").inner_text().replace("Atlantis", "")
        if hit := FRENCH_PAGES_ENGLISH.search(text):
            english["relay form"] = hit.group(0)
        assert english == {}
    context.close()


def test_failed_submit_focuses_the_summary_and_marks_only_wrong_fields(
    stack, published, tab: Page
) -> None:
    with screenshot_on_failure(tab, f"failed-submit-{tab.width}"):  # type: ignore[attr-defined]
        sign_in(tab, stack)
        tab.goto(f"{stack.url}/admin/jobs/new")
        expect(tab.locator("[aria-invalid]")).to_have_count(0)
        tab.get_by_label("Intitulé du poste").fill("Infirmier")
        tab.get_by_role("button", name="Publier maintenant").click()
        summary = tab.locator("[data-error-summary]")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("Organisation qui recrute")
        title = tab.get_by_label("Intitulé du poste")
        organization = tab.get_by_label("Organisation qui recrute")
        expect(title).not_to_have_attribute("aria-invalid", re.compile("."))
        expect(organization).to_have_attribute("aria-invalid", "true")
        red = "rgb(179, 38, 30)"
        assert organization.evaluate("e => getComputedStyle(e).borderTopColor") == red
        assert title.evaluate("e => getComputedStyle(e).borderTopColor") != red
        summary.get_by_role("link", name="Organisation qui recrute").click()
        expect(organization).to_be_focused()
        # The preview shows where the place goes, not a district nobody chose.
        expect(tab.locator('.sms[data-lang="fr"] [data-field="text"]')).to_contain_text("[lieu]")
    assert script_errors(tab) == []
