# ruff: noqa: F811  (the browser fixtures come from tests/test_browser.py by import)
"""Browser test of `make run` with Orange (issue 17): Debian's Chromium, headless, on a 360-px
screen, against the real app and worker (tests/browser_stack.py) with GATEWAYS=africastalking,
orange. A trainer picks *Par la passerelle: orange* on the phone simulator, texts Baara, and
reads the reply that came back through the simulated Orange, labelled with its gateway.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis as redis_lib
from playwright.sync_api import Page, expect

from tests.browser_stack import LiveStack

# Its fixtures, shared; importing it also skips this module where there is no Chromium.
from tests.test_browser import ARTIFACTS, browser, page, screenshot_on_failure  # noqa: F401


class OrangeStack(LiveStack):
    """The live stack with Orange enabled beside AT (simulated: no Orange credentials)."""

    def settings(self) -> dict[str, str]:
        """LiveStack's environment, plus Orange in GATEWAYS."""
        return {**super().settings(), "GATEWAYS": "africastalking,orange"}


@pytest.fixture(scope="module")
def orange_stack(redis_server) -> Iterator[LiveStack]:
    """Web, worker, simulated AT and Orange on a clean database."""
    redis_lib.Redis.from_url(redis_server.url).flushall()
    live = OrangeStack(redis_server.url, ARTIFACTS / "logs-orange")
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.mark.parametrize(
    ("phone", "text", "reply"),
    [
        ("+22366000021", "dɛmɛ", "Baara ye kènèya baara kura"),
        ("+22366000022", "Niono", "inscription faite pour Niono"),
    ],
    ids=["bm-help", "fr-subscribe"],
)
def test_the_simulated_phone_texts_through_orange_and_reads_the_reply(
    orange_stack: LiveStack, page: Page, phone: str, text: str, reply: str
) -> None:
    with screenshot_on_failure(page, f"orange-{text}"):
        page.goto(f"{orange_stack.url}/simulator?phone={phone}")
        page.get_by_role("button", name="Écrire un SMS").click()
        page.get_by_label("Par la passerelle").select_option("orange")
        page.get_by_label("Message").fill(text)
        page.locator("[data-screen=compose]").get_by_role("button", name="Envoyer").click()
        expect(page.locator("[data-sms-status]")).to_have_text("Envoyé.")
        page.locator("[data-screen=compose]").get_by_role("button", name="Retour").click()
        page.get_by_role("button", name="Messages").click()
        item = page.locator("[data-inbox] li").first
        expect(item).to_contain_text(reply)
        expect(item.locator(".meta")).to_contain_text("orange")
        assert page.console_errors == []  # type: ignore[attr-defined]
