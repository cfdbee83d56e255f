"""In a real chromium with its fake microphone, against one `webradio run`: a recording kept on
the tablet through a network drop and a reload arrives once; a large upload cut at 45 % resumes
from there; an expired page token is renewed without losing the upload."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from app_support import app_settings
from browser_support import CHROMIUM_ARGS, chromium_path
from flask import Flask
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright
from test_family_letters import axe, live
from web_support import PASSWORD

from webradio import create_app, schools
from webradio.audio.ffmpeg import find_ffmpeg
from webradio.clock import now_utc
from webradio.extensions import db
from webradio.models import SchoolClass, Take
from webradio.web import studio

CHUNK = 5 * 1024 * 1024
SLOW = 45_000  # ms
TEACHER = "prof@vent.fr"


@dataclass(frozen=True)
class Site:
    """The app served from a thread, with CSRF on as in production."""

    app: Flask
    base_url: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("studio-live")
    database = root / "db.sqlite3"
    shutil.copyfile(migrated_db, database)
    app = create_app({**app_settings(root, database), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        school = schools.create_school("ecole-vent", "École du Vent")
        schools.create_user(TEACHER, "teacher", PASSWORD, school)
        schools.get_or_create_class(school, "CM2 A")
        db.session.commit()
    with live(app) as origin:
        yield Site(app, origin)


@pytest.fixture(scope="module")
def browser(server: Site) -> Iterator[Browser]:
    found = chromium_path()
    if found is None:
        pytest.skip("no chromium on this machine")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=found,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
        yield launched
        launched.close()


def sign_in(page: Page, site: Site) -> None:
    page.goto(f"{site.base_url}/connexion")
    page.fill("input[name=email]", TEACHER)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{site.base_url}/")


def _takes(site: Site, origin: str) -> list[Take]:
    with site.app.app_context():
        found = Take.query.filter_by(origin=origin).order_by(Take.created_at).all()
        db.session.expunge_all()
        return found


def _open_studio(browser: Browser, site: Site) -> str:
    teacher = browser.new_page()
    sign_in(teacher, site)
    teacher.get_by_role("button", name="Ouvrir un studio").first.click()
    code = teacher.locator("td code").first.inner_text()
    expect(teacher.get_by_role("button", name="Ouvrir un studio")).to_have_count(0)
    teacher.close()
    return code


def _tone(target: Path, seconds: int, rate: int) -> Path:
    """A mono WAV tone of `seconds` at `rate` Hz, made by ffmpeg."""
    tone = f"sine=frequency=440:duration={seconds},volume=0.3"
    subprocess.run(
        [str(getattr(find_ffmpeg(), "path", find_ffmpeg())), "-nostdin", "-loglevel", "error"]
        + ["-f", "lavfi", "-i", tone, "-ar", str(rate), "-ac", "1", "-c:a", "pcm_s16le"]
        + [str(target)],
        check=True,
    )
    return target


@pytest.mark.browser
def test_a_recording_survives_a_network_drop_and_a_reload(browser: Browser, server: Site) -> None:
    code = _open_studio(browser, server)
    context = browser.new_context()
    tablet = context.new_page()
    tablet.goto(f"{server.base_url}/studio/{code}")
    tablet.fill("input[name=label]", "Le vent")
    # A first try, heard back and thrown away: « Recommencer » records again at once.
    tablet.get_by_role("button", name="Enregistrer au micro").click()
    expect(tablet.locator(".rec-live .timer")).to_have_text("0:01", timeout=10_000)
    tablet.get_by_role("button", name="Arrêter").click()
    expect(tablet.locator(".take-review audio")).to_be_visible()
    expect(tablet.locator(".upload-status")).to_contain_text("Enregistrée sur la tablette")
    tablet.get_by_role("button", name="Recommencer").click()
    expect(tablet.locator(".rec-live .timer")).to_have_text("0:02", timeout=10_000)
    level = float(tablet.locator("meter.level").evaluate("m => m.value"))
    assert 0 < level <= 1  # the meter follows the microphone

    context.set_offline(True)  # the Wi-Fi drops as the pupil presses stop
    expect(tablet.locator(".rec-live .timer")).to_have_text("0:04", timeout=10_000)
    tablet.get_by_role("button", name="Arrêter").click()
    review = tablet.locator(".take-review")
    expect(review.locator("audio")).to_be_visible()  # listen back before sending
    tablet.get_by_role("button", name="Envoyer l’enregistrement").click()
    expect(tablet.locator(".upload-status")).to_contain_text("en attente du réseau")

    # The server stays out of reach while the network returns and the page reloads.
    tablet.route("**/envois/**", lambda route: route.abort())
    context.set_offline(False)
    context.clear_cookies()  # session and CSRF token gone: the studio does not need them
    tablet.reload()
    pending = tablet.locator("section.pending li")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("Le vent")
    assert axe(tablet) == []
    tablet.unroute("**/envois/**")
    expect(tablet.locator(".upload-status")).to_contain_text("Reçue par le serveur", timeout=SLOW)
    expect(tablet.locator("section.pending")).to_be_hidden()
    expect(tablet.locator(".upload-status")).to_contain_text("Prise prête", timeout=SLOW)

    received = _takes(server, "studio")
    assert len(received) == 1  # exactly once
    analysis = json.loads(received[0].analysis_json or "{}")
    assert 3.5 <= analysis["duration_s"] <= 6.5  # about the four seconds recorded, intact
    tablet.reload()
    expect(tablet.locator("section.pending")).to_be_hidden()  # nothing left on the tablet
    context.close()


@pytest.mark.browser
def test_a_cut_upload_resumes_from_its_offset_with_a_renewed_token(
    browser: Browser, server: Site, tmp_path: Path
) -> None:
    big = _tone(tmp_path / "reportage.wav", 120, 48000)  # 11.5 MB: three 5 MB chunks
    size = big.stat().st_size
    page = browser.new_page()
    sign_in(page, server)
    page.goto(f"{server.base_url}/prises/nouvelle")
    # The page was left open past its token's life: the upload must renew it and land.
    page.locator("form.upload input[name=csrf_token]").evaluate("i => i.value = 'jeton-perime'")

    patches: list[tuple[int, str]] = []
    heads: list[int] = []

    def cut_once(route: Route) -> None:
        request = route.request
        if request.method == "PATCH":
            offset = int(request.headers["upload-offset"])
            if offset == CHUNK and not any(o == CHUNK for o, _ in patches):
                patches.append((offset, "coupé"))
                route.abort("connectionreset")
                return
            patches.append((offset, "envoyé"))
        route.continue_()

    page.route("**/prises/envois/**", cut_once)
    page.on(
        "response",
        lambda r: (
            heads.append(int(r.headers["upload-offset"]))
            if r.request.method == "HEAD" and "/envois/" in r.url
            else None
        ),
    )
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text))
    page.fill("input[name=label]", "Reportage long")
    page.set_input_files("input[type=file]", str(big))
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.locator(".upload-status")).to_contain_text("Reçue par le serveur", timeout=SLOW)

    assert patches == [(0, "envoyé"), (CHUNK, "coupé"), (CHUNK, "envoyé"), (2 * CHUNK, "envoyé")]
    assert heads == [CHUNK]  # the server said where it stood; nothing was sent twice
    (staff,) = _takes(server, "staff")
    assert staff.label == "Reportage long" and staff.size_bytes == size


def _fresh_code(site: Site) -> str:
    """A studio just opened for the class (closed first, whatever earlier tests left)."""
    with site.app.app_context():
        school_class = SchoolClass.query.filter_by(label="CM2 A").one()
        schools.close_studio(school_class)
        return schools.open_studio(school_class)


def _record(tablet: Page, label: str, seconds: int) -> None:
    """A pupil records `seconds` with the fake microphone and stops: the take is on review."""
    tablet.fill("input[name=label]", label)
    tablet.get_by_role("button", name="Enregistrer au micro").click()
    expect(tablet.locator(".rec-live .timer")).to_have_text(f"0:0{seconds}", timeout=10_000)
    tablet.get_by_role("button", name="Arrêter").click()
    expect(tablet.locator(".take-review audio")).to_be_visible()


def _labelled(site: Site, label: str) -> list[Take]:
    return [take for take in _takes(site, "studio") if take.label == label]


@pytest.mark.browser
def test_a_studio_page_left_open_13_hours_still_uploads(
    browser: Browser, server: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _fresh_code(server)
    context = browser.new_context()
    tablet = context.new_page()
    tablet.clock.install()
    tablet.goto(f"{server.base_url}/studio/{code}")
    _record(tablet, "La nuit", 2)
    context.set_offline(True)
    tablet.get_by_role("button", name="Envoyer l’enregistrement").click()
    expect(tablet.locator(".upload-status")).to_contain_text("en attente du réseau")

    # The tablet stays on the page all night: 13 hours later for the page and for the server,
    # past the 12 hours of the code.
    later = now_utc() + timedelta(hours=13)
    monkeypatch.setattr(schools, "now_utc", lambda: later)
    monkeypatch.setattr(studio, "now_utc", lambda: later)
    tablet.clock.fast_forward("13:00:00")
    ended = tablet.locator(".studio-ended")
    expect(ended).to_be_visible()
    expect(ended).to_contain_text("demandez le nouveau code")
    expect(tablet.get_by_role("button", name="Enregistrer au micro")).to_be_hidden()
    context.set_offline(False)
    expect(tablet.locator(".upload-status")).to_contain_text("Reçue par le serveur", timeout=SLOW)
    expect(tablet.locator("section.pending")).to_be_hidden()
    # The page follows the analysis with its ticket too (an expired code alone would count as
    # a guess against the whole school's address).
    # (A fake microphone's two seconds of beeps may be judged room noise: either end will do.)
    analysed = re.compile("Prise prête|pas pu être traitée")
    expect(tablet.locator(".upload-status")).to_contain_text(analysed, timeout=SLOW)
    assert len(_labelled(server, "La nuit")) == 1
    context.close()


@pytest.mark.browser
def test_a_studio_closed_by_the_teacher_keeps_the_take_until_the_new_code(
    browser: Browser, server: Site
) -> None:
    code = _fresh_code(server)
    context = browser.new_context()
    tablet = context.new_page()
    tablet.goto(f"{server.base_url}/studio/{code}")
    _record(tablet, "Le silence", 1)
    with server.app.app_context():
        schools.close_studio(SchoolClass.query.filter_by(label="CM2 A").one())
    tablet.get_by_role("button", name="Envoyer l’enregistrement").click()
    ended = tablet.locator(".studio-ended")
    expect(ended).to_contain_text("fermé par l’enseignant", timeout=SLOW)
    expect(ended).to_contain_text("demandez le nouveau code")
    expect(tablet.locator("section.pending li")).to_have_count(1)  # still on the tablet
    assert axe(tablet) == []
    assert _labelled(server, "Le silence") == []

    new_code = _fresh_code(server)
    ended.get_by_label("Nouveau code").fill(new_code.upper())
    ended.get_by_role("button", name="Continuer").click()
    tablet.wait_for_url(f"{server.base_url}/studio/{new_code}")
    expect(tablet.locator(".upload-status")).to_contain_text("Reçue par le serveur", timeout=SLOW)
    expect(tablet.locator("section.pending")).to_be_hidden()
    assert len(_labelled(server, "Le silence")) == 1
    context.close()


@pytest.mark.browser
def test_a_chosen_file_is_kept_on_the_tablet_through_a_reload(
    browser: Browser, server: Site, tmp_path: Path
) -> None:
    chosen = _tone(tmp_path / "interview.wav", 3, 16000)
    code = _fresh_code(server)
    context = browser.new_context()
    tablet = context.new_page()
    tablet.goto(f"{server.base_url}/studio/{code}")
    tablet.fill("input[name=label]", "L’interview")
    tablet.set_input_files("input[type=file]", str(chosen))
    context.set_offline(True)
    tablet.get_by_role("button", name="Envoyer", exact=True).click()
    expect(tablet.locator(".upload-status")).to_contain_text("en attente du réseau")
    pending = tablet.locator("section.pending li")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("L’interview")

    tablet.route("**/envois/**", lambda route: route.abort())
    context.set_offline(False)
    tablet.reload()
    expect(pending).to_have_count(1)  # the file is on the tablet, not only in the picker
    tablet.unroute("**/envois/**")
    expect(tablet.locator(".upload-status")).to_contain_text("Reçue par le serveur", timeout=SLOW)
    expect(tablet.locator("section.pending")).to_be_hidden()
    (take,) = _labelled(server, "L’interview")
    assert take.size_bytes == chosen.stat().st_size
    context.close()
