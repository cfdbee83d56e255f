"""The embeddable player in a real chromium: it plays, works from the keyboard, sets no cookie,
asks nothing of a third party, follows the theme, and axe-core finds no violation."""

from __future__ import annotations

import re
import urllib.request
from typing import Any

import pytest
from browser_support import CHROMIUM_ARGS, Demo
from playwright.sync_api import Browser, Page, expect, sync_playwright
from publishing.judges import node_judges

SLUG = "ecole-jules-ferry"
TAB_LIMIT = 20


@pytest.fixture
def axe_source() -> str:
    """axe-core's script, from tests/node (installed with `npm ci` when missing)."""
    return (node_judges() / "node_modules" / "axe-core" / "axe.min.js").read_text()


def demo_episode(demo: Demo) -> str:
    """The id of the demo's public episode, read from the school's public page."""
    with urllib.request.urlopen(f"{demo.base_url}/radio/{SLUG}/", timeout=10) as response:
        page = response.read().decode("utf-8")
    found = re.search(r"/episodes/(\w+)", page)
    assert found, "the demo school shows no public episode"
    return found.group(1)


def focused_name(page: Page) -> str:
    """The focused element's tag and label (aria-label, else its text)."""
    name: str = page.evaluate(
        """() => { const e = document.activeElement;
                   const label = e.getAttribute('aria-label') || e.textContent.trim();
                   return e.tagName + ':' + label; }"""
    )
    return name


def tab_through(page: Page) -> list[str]:
    """Press Tab until the focus comes back round; the labels met on the way."""
    seen: list[str] = []
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        name = focused_name(page)
        if name in seen or name.startswith("BODY"):
            break
        seen.append(name)
    return seen


def axe_violations(browser: Browser, url: str, axe: str, **context: Any) -> list[Any]:
    """axe-core's violations on `url` (CSP bypassed only so the checker itself can be injected)."""
    page = browser.new_context(bypass_csp=True, **context).new_page()
    page.goto(url)
    page.add_script_tag(content=axe)
    violations: list[Any] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    page.context.close()
    return [(v["id"], v["help"], [n["html"] for n in v["nodes"]]) for v in violations]


@pytest.mark.browser
def test_embed_player_plays_from_the_keyboard(
    browser_path: str, demo: Demo, axe_source: str
) -> None:
    episode_id = demo_episode(demo)
    url = f"{demo.base_url}/embed/{episode_id}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(url)
            audio = page.locator("audio")

            # No autoplay, even though this browser would allow it; nothing fetched yet.
            page.wait_for_timeout(800)
            assert audio.evaluate("a => a.paused && a.currentTime === 0")
            assert not [r for r in requests if "/media/" in r]

            labels = tab_through(page)
            assert labels[:4] == [
                "BUTTON:Écouter",
                "BUTTON:Reculer 15 s",
                "INPUT:Position dans l’épisode",
                "BUTTON:Avancer 30 s",
            ], labels
            assert any(label.startswith("A:Page de l’épisode") for label in labels), labels

            # Back to the play button, and Enter plays: the MP3 comes by byte range.
            page.get_by_role("button", name="Écouter").focus()
            with page.expect_response(lambda r: "/media/" in r.url) as first:
                page.keyboard.press("Enter")
            assert first.value.status == 206
            page.wait_for_function(
                "a => a.currentTime > 0.5 && !a.paused", arg=audio.element_handle(), timeout=30_000
            )
            expect(page.get_by_role("button", name="Pause")).to_have_attribute(
                "aria-pressed", "true"
            )

            # A chapter is a button that seeks.
            audio.evaluate("a => { a.currentTime = 3; }")
            chapter = page.locator(".chapters button").first
            chapter.focus()
            page.keyboard.press("Enter")
            page.wait_for_function("a => a.currentTime < 2.5", arg=audio.element_handle())
            page.keyboard.press("Shift+Tab")  # the space bar pauses from the play controls too
            page.get_by_role("button", name="Pause").focus()
            page.keyboard.press("Space")
            page.wait_for_function("a => a.paused", arg=audio.element_handle())

            assert context.cookies() == []
            foreign = [r for r in requests if not r.startswith(demo.base_url)]
            assert foreign == []

            # Themes: light by default, dark on request or by the reader's preference.
            def background(theme: str = "", scheme: str = "light") -> str:
                styled = browser.new_context(color_scheme=scheme).new_page()  # type: ignore[arg-type]
                styled.goto(url + theme)
                value: str = styled.evaluate("getComputedStyle(document.body).backgroundColor")
                styled.context.close()
                return value

            assert background() == "rgb(255, 255, 255)"
            assert background("?theme=dark") == "rgb(18, 20, 23)"
            assert background(scheme="dark") == "rgb(18, 20, 23)"
            assert background("?theme=light", scheme="dark") == "rgb(255, 255, 255)"

            for theme, scheme in (("", "light"), ("?theme=dark", "dark")):
                violations = axe_violations(browser, url + theme, axe_source, color_scheme=scheme)
                assert violations == [], violations
            page_url = f"{demo.base_url}/radio/{SLUG}/episodes/{episode_id}"
            assert axe_violations(browser, f"{demo.base_url}/ville/widget", axe_source) == []
            episode_violations = axe_violations(browser, page_url, axe_source)
            assert episode_violations == [], episode_violations
        finally:
            browser.close()
