"""Browser test of "Importer une annonce" (issue 18): Debian's Chromium, headless, on a 360-px
screen, against the real app and worker (tests/browser_stack.py). A recruiter pastes a notice,
the form fills itself; uploads a .docx, the unsure fields show in orange with their reason;
reviews, saves a draft.
"""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Page, expect

from tests.browser_stack import LiveStack

# Its fixtures, shared; importing it also skips this module where there is no Chromium.
from tests.test_browser import browser, page, screenshot_on_failure, sign_in, stack  # noqa: F401
from tests.test_extract import docx_bytes, future_seed


def test_paste_a_notice_and_the_form_fills_itself(stack: LiveStack, page: Page) -> None:  # noqa: F811
    with screenshot_on_failure(page, "import-paste"):
        sign_in(page, stack)
        page.get_by_role("button", name="Menu").click()  # a 360-px phone: the menu is folded
        page.get_by_role("link", name="Nouvelle offre").click()
        expect(page.get_by_role("heading", name="Importer une annonce")).to_be_visible()
        page.get_by_label("Texte de l'annonce").fill(
            future_seed("004_875f20e8bfb0a07d", date.today())
        )
        page.get_by_role("button", name="Remplir le formulaire").click()

        expect(page.locator("[data-imported]")).to_contain_text("Formulaire rempli")
        expect(page.get_by_label("Intitulé du poste")).to_have_value("Mobilisateur Communautaire")
        expect(page.get_by_label("Organisation qui recrute")).to_have_value("AMCP-SP/ALIMA")
        expect(page.get_by_label("Catégorie")).to_have_value("community-mobilizer")
        expect(page.get_by_label("Nombre de postes")).to_have_value("2")
        expect(page.get_by_label("Niono", exact=True)).to_be_checked()
        expect(page.get_by_label("Macina", exact=True)).to_be_checked()
        expect(page.locator("[data-chosen-list]")).to_have_text("Macina, Niono")
        expect(page.get_by_label("Heure limite (facultatif)")).to_have_value("17:00")
        expect(page.get_by_label("E-mail de candidature")).to_have_value(
            "recrutement@mali.alima.ngo"
        )
        # The alert preview is already the real one.
        french = page.locator('.sms[data-lang="fr"] [data-field="text"]')
        expect(french).to_contain_text("AMCP-SP/ALIMA")
        assert page.locator(".unsure").count() == 0
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, width
        assert page.console_errors == []  # type: ignore[attr-defined]


def test_upload_flags_unsure_fields_then_saves_a_draft(
    stack: LiveStack,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path,
) -> None:
    notice = (
        "Avis de recrutement\n\nNous recrutons un chauffeur pour nos activités. "
        "Envoyez votre CV à recrutement@exemple.org."
    )
    path = tmp_path / "annonce.docx"
    path.write_bytes(docx_bytes(notice))
    with screenshot_on_failure(page, "import-upload"):
        sign_in(page, stack)
        page.goto(f"{stack.url}/admin/jobs/new")
        page.get_by_label("ou un fichier (.txt, .docx, .pdf)").set_input_files(str(path))
        page.get_by_role("button", name="Remplir le formulaire").click()

        expect(page.locator("[data-imported]")).to_contain_text("Champs à vérifier")
        organization = page.get_by_label("Organisation qui recrute")
        expect(organization).to_have_value("Organisation à préciser")
        # Flagged in orange, and the reason is read out with the field.
        expect(page.locator(".field.unsure").first).to_be_visible()
        described = organization.get_attribute("aria-describedby") or ""
        reason = page.locator(f"#{described.split()[0]}")
        expect(reason).to_contain_text("Pas trouvé dans l'annonce")
        expect(page.locator("fieldset.places.unsure")).to_be_visible()
        color = page.evaluate(
            "getComputedStyle(document.querySelector('.field.unsure input')).borderTopColor"
        )
        assert color == "rgb(199, 119, 0)", color

        # The recruiter corrects what was guessed, then saves a draft.
        organization.fill("ONG Exemple")
        page.get_by_role("button", name="Enregistrer le brouillon").last.click()
        expect(page.locator(".flash-success")).to_contain_text("Brouillon")
        assert page.console_errors == []  # type: ignore[attr-defined]
