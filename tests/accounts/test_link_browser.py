"""The one-time link page on a phone, in chromium: a long address wraps, the link copies in
one tap. Chromium is served by the Flask test client itself (no server process)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from browser_support import CHROMIUM_ARGS, chromium_path
from flask.testing import FlaskClient
from web_support import sign_in

from .conftest import Team

pytest.importorskip("playwright")
from playwright.sync_api import Page, Route, sync_playwright  # noqa: E402

LONG = "nouvelle.enseignante.de.cm1.bilingue@ecole-elementaire-jules-ferry.example"


@pytest.fixture
def phone(client: FlaskClient) -> Iterator[Page]:
    """A 360 px chromium page whose every request the test client answers (same cookies)."""
    binary = chromium_path()
    if binary is None:
        pytest.skip("no chromium")

    def answer(route: Route) -> None:
        request = route.request
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = client.open(
            path,
            method=request.method,
            data=request.post_data_buffer,
            headers={"Content-Type": request.headers.get("content-type", "")},
        )
        route.fulfill(
            status=response.status_code, headers=dict(response.headers), body=response.get_data()
        )
        response.close()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 800})
        context.grant_permissions(
            ["clipboard-read", "clipboard-write"], origin="https://radio.test"
        )
        page = context.new_page()
        page.route("https://radio.test/**", answer)
        yield page
        browser.close()


def test_a_new_teachers_link_fits_a_phone_and_copies_in_one_tap(
    team: Team, client: FlaskClient, phone: Page
) -> None:
    sign_in(client, "head@equipe.fr")
    phone.goto("https://radio.test/ecole/equipe")
    phone.fill("input[name=email]", LONG)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Créer le compte").click()
    heading = phone.locator("#issued-title")
    assert LONG in heading.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    link = phone.locator("#issued-url").input_value()
    phone.get_by_role("button", name="Copier le lien").click()
    assert phone.locator(".issued [data-copy-status]").inner_text() == "Lien copié."
    assert phone.evaluate("navigator.clipboard.readText()") == link
