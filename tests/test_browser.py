"""A teacher and the head, in a real chromium, take a recording all the way to the public page."""

from __future__ import annotations

import re
import shutil
import urllib.request
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, Demo, sign_in
from playwright.sync_api import Page, ViewportSize, expect, sync_playwright

from webradio.audio.clips import make_speechlike_take
from webradio.audio.ffmpeg import find_ffmpeg

SLUG = "ecole-jules-ferry"
TAKE_LABEL = "Interview du jardinier"
TITLE = "Les secrets du potager"
SLOW = 90_000  # ms: analysing or rendering a take on a busy machine
DESKTOP: ViewportSize = {"width": 1100, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def upload_take(page: Page, wav: Path) -> None:
    """Send a take through the XHR form and wait until its analysis says it is ready."""
    page.get_by_role("link", name="Envoyer une prise").first.click()
    page.wait_for_url("**/prises/nouvelle")
    page.fill("input[name=label]", TAKE_LABEL)
    page.set_input_files("input[type=file]", str(wav))
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.locator(".upload-status")).to_contain_text("Prise prête", timeout=SLOW)
    expect(page.locator("form.upload progress")).to_have_attribute("value", "100")


def create_episode(page: Page, demo: Demo) -> str:
    """Build a public episode from the take with Léa speaking; return its id."""
    page.goto(f"{demo.base_url}/episodes/nouveau")
    page.fill("input[name=title]", TITLE)
    page.locator("label.check", has_text=TAKE_LABEL).locator("input[name=take_ids]").check()
    page.locator("label.check", has_text="Léa").locator("input[name=participant_ids]").check()
    page.select_option("select[name=audience]", "public")
    submit = page.locator("main form button[type=submit]")
    expect(submit).to_have_text("Créer l’épisode")
    submit.click()
    page.wait_for_url(re.compile(r"/episodes/[^/]+$"))
    return page.url.rsplit("/", 1)[-1]


def play(page: Page, title: str) -> None:
    """Play the episode's player: the MP3 comes by byte range and plays for half a second."""
    article = page.locator("article.episode", has=page.get_by_role("heading", name=title))
    audio = article.locator("audio")
    with page.expect_response(lambda r: "/media/" in r.url) as first:
        audio.evaluate("a => a.play()")
    assert first.value.status == 206, f"{first.value.url}: {first.value.status}, not a byte range"
    assert first.value.header_value("content-type") == "audio/mpeg"
    page.wait_for_function(
        "a => a.currentTime > 0.5 && !a.paused", arg=audio.element_handle(), timeout=30_000
    )


@pytest.mark.browser
def test_teacher_take_to_public_player(browser_path: str, demo: Demo, tmp_path: Path) -> None:
    """Upload, episode, head's approval; the public page plays the MP3 and the feed lists it."""
    wav = make_speechlike_take(tmp_path / "jardinier.wav", find_ffmpeg(), seconds=8.0)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=DESKTOP)
            sign_in(page, demo, demo.teacher)
            upload_take(page, wav)
            episode_id = create_episode(page, demo)
            ask = page.get_by_role("button", name="Demander la publication à la direction")
            expect(ask).to_be_visible(timeout=SLOW)  # the page reloads itself while rendering
            ask.click()
            expect(page.locator(".flash")).to_contain_text("envoyé à la direction")

            page.get_by_role("button", name="Se déconnecter").click()
            page.wait_for_url("**/connexion")
            sign_in(page, demo, demo.head)
            page.goto(f"{demo.base_url}/episodes/{episode_id}")
            page.get_by_role("button", name="Valider et publier").click()  # the head's review
            expect(page.locator(".flash")).to_contain_text("Épisode publié pour")
            page.goto(f"{demo.base_url}/episodes/{episode_id}")  # the review ends on the dashboard
            expect(page.locator("h1 + p .state")).to_have_class(re.compile("state-published"))
            page.screenshot(path="/tmp/webradio-episode.png", full_page=True)

            parent = browser.new_page(viewport=DESKTOP)  # a new context: nobody signed in
            parent.goto(f"{demo.base_url}/radio/{SLUG}/")
            feed_link = parent.locator('link[rel=alternate][type="application/rss+xml"]')
            expect(feed_link).to_have_attribute("href", f"{demo.base_url}/feeds/{SLUG}.xml")
            expect(parent.get_by_role("heading", name=TITLE)).to_be_visible()
            play(parent, TITLE)
            parent.screenshot(path=str(tmp_path / "school.png"), full_page=True)
            shutil.copyfile(tmp_path / "school.png", "/tmp/webradio-school.png")
            parent.set_viewport_size(PHONE)
            parent.screenshot(path="/tmp/webradio-school-phone.png", full_page=True)

            # The city's IT team signs in to the demo too: its school, with an active head,
            # is listed and needs no watching.
            city = browser.new_page(viewport=DESKTOP)
            city.goto(f"{demo.base_url}/connexion")
            city.fill("input[name=email]", demo.city)
            city.fill("input[name=password]", demo.password)
            city.click("main form button[type=submit]")
            city.wait_for_url(f"{demo.base_url}/ville")  # the city's landing page
            expect(city.locator("main")).to_contain_text("Rien à signaler")
            expect(city.locator("main")).to_contain_text("École Jules-Ferry")
            for address in ("/ville", "/ville/ecoles"):
                city.goto(demo.base_url + address)
                for width in (1366, 1024, 360):
                    city.set_viewport_size({"width": width, "height": 900})
                    name = address.strip("/").replace("/", "-")
                    city.screenshot(path=f"/tmp/shots/{name}-{width}.png", full_page=True)
                    assert city.evaluate("document.documentElement.scrollWidth") <= width
        finally:
            browser.close()

    with urllib.request.urlopen(f"{demo.base_url}/feeds/{SLUG}.xml", timeout=10) as response:
        feed = response.read().decode("utf-8")
    assert TITLE in feed


def test_pupils_record_in_the_class_studio(browser_path: str, demo: Demo) -> None:
    """A teacher opens a studio; on the tablet, a take recorded at the microphone arrives ready."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=browser_path,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
        try:
            teacher = browser.new_page()
            sign_in(teacher, demo, demo.teacher)
            teacher.get_by_role("button", name="Ouvrir un studio").first.click()
            code = teacher.locator("td code").first.inner_text()
            expect(teacher.get_by_text("Sacha")).to_be_visible()  # the teacher knows whom

            tablet = browser.new_context().new_page()
            tablet.goto(f"{demo.base_url}/studio/")
            tablet.fill("input[name=code]", code)
            tablet.get_by_role("button", name="Entrer").click()
            expect(tablet.get_by_role("heading", name="Studio — CM2 A")).to_be_visible()
            # The whole class sees this page: nothing about any family's choice.
            expect(tablet.get_by_text("Sacha")).to_have_count(0)
            tablet.get_by_role("button", name="Enregistrer au micro").click()
            tablet.wait_for_timeout(3000)
            tablet.get_by_role("button", name="Arrêter").click()
            tablet.get_by_role("button", name="Envoyer l’enregistrement").click()
            expect(tablet.locator(".upload-status")).to_contain_text("Prise prête", timeout=60_000)
        finally:
            browser.close()
