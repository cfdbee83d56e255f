"""In a real chromium with its fake microphone, against one `webradio run`: a recording kept on
the tablet through a network drop and a reload arrives once; a large upload cut at 45 % resumes
from there; an expired page token is renewed without losing the upload."""

from __future__ import annotations

import base64
import errno
import io
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from app_support import app_settings
from browser_support import CHROMIUM_ARGS, chromium_path, live
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FilePayload,
    Page,
    Route,
    expect,
    sync_playwright,
)
from test_family_letters import axe
from web_support import PASSWORD

from webradio import create_app, schools
from webradio.audio.ffmpeg import find_ffmpeg
from webradio.clock import now_utc
from webradio.extensions import db
from webradio.models import SchoolClass, Take
from webradio.web import studio, tus

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


def _tablet(
    browser: Browser, site: Site, prepare: Callable[[BrowserContext], object] | None = None
) -> tuple[BrowserContext, Page, str]:
    """A tablet on a studio just opened (`prepare` sets its context up first): its context,
    page and code."""
    code = _fresh_code(site)
    context = browser.new_context()
    if prepare is not None:
        prepare(context)
    tablet = context.new_page()
    tablet.goto(f"{site.base_url}/studio/{code}")
    return context, tablet, code


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
    context, tablet, code = _tablet(browser, server)
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
    context, tablet, code = _tablet(browser, server)
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


# No IndexedDB (a private window, a full quota): the page must still send, and must not claim a
# copy is kept on the tablet.
NO_STORAGE = "Object.defineProperty(window, 'indexedDB', {value: undefined, configurable: true});"
# Counts the recorders the page starts (a double tap must start one).
COUNT_RECORDERS = """
(() => {
  const Real = window.MediaRecorder;
  window.startedRecorders = 0;
  window.MediaRecorder = class extends Real {
    constructor(...args) { super(...args); window.startedRecorders += 1; }
  };
})();
"""


@pytest.mark.browser
def test_a_private_window_still_sends_and_says_nothing_is_kept(
    browser: Browser, server: Site
) -> None:
    context, tablet, code = _tablet(browser, server, lambda c: c.add_init_script(NO_STORAGE))
    _record(tablet, "Sans mémoire", 1)
    status = tablet.locator(".upload-status")
    note = tablet.locator(".upload-note")
    expect(note).to_contain_text("ne peut pas garder")
    expect(status).not_to_contain_text("Enregistrée sur la tablette")
    context.set_offline(True)
    tablet.get_by_role("button", name="Envoyer l’enregistrement").click()
    expect(status).to_contain_text("en attente du réseau")
    expect(status).not_to_contain_text("tablette")
    expect(note).to_contain_text("ne rechargez pas")
    pending = tablet.locator("section.pending")
    expect(pending.locator("li")).to_have_count(1)  # listed, from the page's memory
    expect(pending).to_contain_text("Cette page seule les garde")
    expect(pending).not_to_contain_text("même si la page est rechargée")
    context.set_offline(False)  # no reload: the page itself sends it again
    expect(status).to_contain_text("Reçue par le serveur", timeout=SLOW)
    expect(tablet.locator("section.pending")).to_be_hidden()
    assert len(_labelled(server, "Sans mémoire")) == 1
    context.close()


@pytest.mark.browser
def test_double_taps_start_one_recording_and_stop_it_once(browser: Browser, server: Site) -> None:
    context, tablet, code = _tablet(browser, server, lambda c: c.add_init_script(COUNT_RECORDERS))
    tablet.fill("input[name=label]", "Double tape")
    record = tablet.locator("button.record")
    record.dblclick()
    expect(tablet.locator(".rec-live .timer")).to_have_text("0:02", timeout=10_000)
    assert tablet.evaluate("window.startedRecorders") == 1
    box = record.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for _ in range(2):  # a double tap on « Arrêter », wherever the page has moved since
        tablet.mouse.click(x, y)
        tablet.wait_for_timeout(150)
    expect(tablet.locator(".take-review audio")).to_be_visible()
    tablet.wait_for_timeout(1500)
    assert tablet.evaluate("window.startedRecorders") == 1
    expect(tablet.locator(".rec-live")).to_be_hidden()
    send = tablet.get_by_role("button", name="Envoyer l’enregistrement").bounding_box()
    assert send is not None
    for _ in range(2):  # and on « Envoyer l’enregistrement »
        tablet.mouse.click(send["x"] + send["width"] / 2, send["y"] + send["height"] / 2)
        tablet.wait_for_timeout(150)
    expect(tablet.locator(".upload-status")).to_contain_text("Reçue par le serveur", timeout=SLOW)
    assert len(_labelled(server, "Double tape")) == 1
    context.close()


@pytest.mark.browser
def test_a_take_is_stamped_on_the_servers_clock_not_the_tablets(
    browser: Browser, server: Site
) -> None:
    stamps: list[int] = []

    def note_stamp(route: Route) -> None:
        if route.request.method == "POST":
            for pair in (route.request.headers.get("upload-metadata") or "").split(","):
                key, _, value = pair.strip().partition(" ")
                if key == "recorded_at":
                    stamps.append(int(base64.b64decode(value)))
        route.continue_()

    def wrong_clock(context: BrowserContext) -> None:
        context.clock.install(time=now_utc() - timedelta(days=3))  # a tablet whose clock is wrong
        context.route("**/envois/", note_stamp)

    context, tablet, _ = _tablet(browser, server, wrong_clock)
    started = now_utc().timestamp() * 1000
    _record(tablet, "À l’heure", 1)
    tablet.get_by_role("button", name="Envoyer l’enregistrement").click()
    expect(tablet.locator(".upload-status")).to_contain_text("Reçue par le serveur", timeout=SLOW)
    (stamp,) = stamps
    assert started - 10_000 <= stamp <= now_utc().timestamp() * 1000
    context.close()


@pytest.mark.browser
def test_a_private_window_keeps_a_take_in_memory_through_a_closed_studio(
    browser: Browser, server: Site
) -> None:
    context, tablet, code = _tablet(browser, server, lambda c: c.add_init_script(NO_STORAGE))
    _record(tablet, "Mémoire fermée", 1)
    with server.app.app_context():
        schools.close_studio(SchoolClass.query.filter_by(label="CM2 A").one())
    tablet.get_by_role("button", name="Envoyer l’enregistrement").click()
    ended = tablet.locator(".studio-ended")
    expect(ended).to_contain_text("fermé par l’enseignant", timeout=SLOW)
    expect(tablet.locator("section.pending li")).to_contain_text("sans la recharger")
    # Typing the new code must not leave the page: only its memory holds the take.
    new_code = _fresh_code(server)
    ended.get_by_label("Nouveau code").fill("pas-le-bon")
    ended.get_by_role("button", name="Continuer").click()
    expect(tablet.locator(".upload-status")).to_contain_text("aucun studio")
    ended.get_by_label("Nouveau code").fill(new_code.upper())
    ended.get_by_role("button", name="Continuer").click()
    expect(tablet.locator(".upload-status")).to_contain_text("Reçue par le serveur", timeout=SLOW)
    assert tablet.url == f"{server.base_url}/studio/{new_code}"
    expect(ended).to_be_hidden()
    expect(tablet.get_by_role("button", name="Enregistrer au micro")).to_be_visible()
    assert len(_labelled(server, "Mémoire fermée")) == 1
    context.close()


@pytest.mark.browser
def test_a_file_too_big_to_keep_says_so_all_the_way(
    browser: Browser, server: Site, tmp_path: Path
) -> None:
    huge = tmp_path / "concert.wav"
    with huge.open("wb") as sparse:  # 201 MB on the page's side, nothing on the disk
        sparse.truncate(201 * 1024 * 1024)
    sent: list[int] = []

    def first_chunk_only(route: Route) -> None:
        if route.request.method == "PATCH":
            sent.append(int(route.request.headers["upload-offset"]))
            if len(sent) > 1:
                route.abort("connectionreset")  # the Wi-Fi goes after the first 5 MB
                return
        route.continue_()

    context, tablet, _ = _tablet(
        browser, server, lambda c: c.route("**/envois/**", first_chunk_only)
    )
    tablet.set_input_files("input[type=file]", str(huge))
    tablet.get_by_role("button", name="Envoyer", exact=True).click()
    note = tablet.locator(".upload-note")
    status = tablet.locator(".upload-status")
    expect(status).to_contain_text("Envoi… 2 %", timeout=SLOW)
    expect(note).to_contain_text("trop gros pour être gardé")  # still said while it goes
    expect(status).to_contain_text("renvoyez-le", timeout=SLOW)
    expect(note).to_contain_text("trop gros pour être gardé")
    expect(tablet.locator("section.pending")).to_be_hidden()  # nothing claims to be kept
    context.close()


@pytest.mark.browser
def test_an_empty_file_is_named_empty_not_received(browser: Browser, server: Site) -> None:
    context, tablet, _ = _tablet(browser, server)
    empty: FilePayload = {"name": "vide.m4a", "mimeType": "audio/mp4", "buffer": b""}
    tablet.set_input_files("input[type=file]", files=[empty])
    tablet.get_by_role("button", name="Envoyer", exact=True).click()
    expect(tablet.locator(".upload-status")).to_contain_text("est vide")
    expect(tablet.locator(".upload-status")).not_to_contain_text("Reçue")
    context.close()


@pytest.mark.browser
def test_a_busy_server_delays_the_upload_and_the_polls_but_loses_nothing(
    browser: Browser, server: Site
) -> None:
    patches: list[str] = []
    polls: list[str] = []

    def restarting(route: Route) -> None:
        # The app restarts behind its proxy: the first chunk meets a 502, then a 503.
        if route.request.method == "PATCH" and len(patches) < 2:
            patches.append(route.request.headers["upload-offset"])
            route.fulfill(status=502 if not patches[1:] else 503, headers={"Retry-After": "1"})
            return
        route.continue_()

    def busy(route: Route) -> None:
        # The first status polls are refused, with Retry-After as an HTTP date (as a proxy may).
        polls.append(route.request.url)
        if len(polls) <= 3:
            later = "Wed, 21 Oct 2015 07:28:00 GMT"
            route.fulfill(status=429, headers={"Retry-After": later}, body="{}")
            return
        route.continue_()

    def unsteady(context: BrowserContext) -> None:
        context.route("**/envois/**", restarting)
        context.route("**/etat", busy)

    context, tablet, _ = _tablet(browser, server, unsteady)
    _record(tablet, "Serveur occupé", 1)
    tablet.get_by_role("button", name="Envoyer l’enregistrement").click()
    status = tablet.locator(".upload-status")
    expect(status).to_contain_text("Reçue par le serveur", timeout=SLOW)
    assert patches == ["0", "0"]
    tablet.wait_for_timeout(1500)
    assert len(polls) <= 3  # refused polls wait before the next one (no storm)
    analysed = re.compile("Prise prête|pas pu être traitée")
    expect(status).to_contain_text(analysed, timeout=SLOW)
    assert len(_labelled(server, "Serveur occupé")) == 1
    context.close()


@pytest.mark.browser
def test_a_full_disk_keeps_the_take_on_the_tablet_and_says_so_until_space_returns(
    browser: Browser, server: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every new file under the server's media folder fails with ENOSPC (the server runs in this
    # process), as in tests/serving/test_full_disk.py: the upload arrives, the take cannot be kept.
    root = str(server.app.config["MEDIA_ROOT"])
    real = os.fdopen

    def full(fd: int, *args: object, **kwargs: object) -> object:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(root):
            os.close(fd)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, *args, **kwargs)  # type: ignore[call-overload]

    refused: list[int] = []
    context, tablet, _ = _tablet(browser, server)
    tablet.on("response", lambda r: refused.append(r.status) if r.status == 507 else None)
    monkeypatch.setattr(os, "fdopen", full)
    _record(tablet, "Disque plein", 1)
    tablet.get_by_role("button", name="Envoyer l’enregistrement").click()
    row = tablet.locator("section.pending li")
    expect(row.locator(".state")).to_contain_text("manque de place", timeout=SLOW)
    assert refused == [507]  # not asked again at once: the page waits for Retry-After
    assert _labelled(server, "Disque plein") == []
    monkeypatch.undo()  # space is back; the network event makes the page try now
    tablet.evaluate("window.dispatchEvent(new Event('online'))")
    expect(tablet.locator(".upload-status")).to_contain_text("Reçue par le serveur", timeout=SLOW)
    expect(row).to_have_count(0)  # confirmed by the server: only now off the tablet
    assert len(_labelled(server, "Disque plein")) == 1
    context.close()


@pytest.mark.browser
def test_a_page_reloaded_while_sending_delivers_the_take_once(
    browser: Browser, server: Site
) -> None:
    held: list[Route] = []

    def lost_answer(route: Route) -> None:
        # The chunk reaches the server, which makes the take; the answer never reaches the page.
        if route.request.method == "PATCH" and not held:
            route.fetch()
            held.append(route)
            return
        route.continue_()

    context, tablet, _ = _tablet(browser, server, lambda c: c.route("**/envois/**", lost_answer))
    _record(tablet, "Rechargée", 1)
    tablet.get_by_role("button", name="Envoyer l’enregistrement").click()
    while not held:
        tablet.wait_for_timeout(50)
    expect(tablet.locator(".upload-status")).to_contain_text("Envoi")
    tablet.reload()  # « envoi » on the screen: the pupil reloads
    expect(tablet.locator(".upload-status")).to_contain_text("Reçue par le serveur", timeout=SLOW)
    expect(tablet.locator("section.pending")).to_be_hidden()
    assert len(_labelled(server, "Rechargée")) == 1
    context.close()


@pytest.mark.browser
def test_two_tabs_of_one_tablet_send_a_take_once(browser: Browser, server: Site) -> None:
    code = _fresh_code(server)
    context = browser.new_context()
    created: list[str] = []
    context.on(  # uploads the server created (the one tried offline never reached it)
        "response",
        lambda r: (
            created.append(r.url)
            if r.request.method == "POST" and "/envois/" in r.url and r.status == 201
            else None
        ),
    )
    first = context.new_page()
    first.goto(f"{server.base_url}/studio/{code}")
    _record(first, "Deux onglets", 1)
    context.set_offline(True)
    first.get_by_role("button", name="Envoyer l’enregistrement").click()
    expect(first.locator(".upload-status")).to_contain_text("en attente du réseau")
    context.route("**/envois/**", lambda route: route.abort())  # the school's Wi-Fi, half there
    context.set_offline(False)
    second = context.new_page()  # the same tablet opens the studio again in another tab
    second.goto(f"{server.base_url}/studio/{code}")
    expect(second.locator("section.pending li")).to_have_count(1)
    context.set_offline(True)
    context.unroute("**/envois/**")
    context.set_offline(False)  # both tabs hear the network come back at once
    for tab in (first, second):
        expect(tab.locator("section.pending")).to_be_hidden(timeout=SLOW)
    assert len(_labelled(server, "Deux onglets")) == 1
    assert len(created) == 1  # one upload, not one per tab
    context.close()


# A tablet asleep: its monotonic clock (performance.now) stands still while the world goes on.
ASLEEP = """
(() => {
  const real = performance.now.bind(performance);
  window.sleptMs = 0;
  performance.now = () => real() - window.sleptMs;
})();
"""


@pytest.mark.browser
def test_a_tablet_waking_after_its_studio_ended_knows_it(
    browser: Browser, server: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    context, tablet, _ = _tablet(browser, server, lambda c: c.add_init_script(ASLEEP))
    expect(tablet.get_by_role("button", name="Enregistrer au micro")).to_be_visible()
    # The tablet sleeps 13 hours: the server's clock moves on, the page's monotonic clock does not.
    later = now_utc() + timedelta(hours=13)
    monkeypatch.setattr(schools, "now_utc", lambda: later)
    monkeypatch.setattr(studio, "now_utc", lambda: later)
    monkeypatch.setattr(tus, "now_utc", lambda: later)
    tablet.evaluate("window.sleptMs = 13 * 3600 * 1000 + 60 * 1000")
    tablet.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # it wakes up
    expect(tablet.locator(".studio-ended")).to_be_visible()
    expect(tablet.get_by_role("button", name="Enregistrer au micro")).to_be_hidden()
    context.close()


@pytest.mark.browser
def test_a_takes_reason_shows_once_on_the_studio_page_at_every_width(
    browser: Browser, server: Site, tmp_path: Path
) -> None:
    from webradio import jobs, takes

    code = _fresh_code(server)
    wav = _tone(tmp_path / "raison.wav", 1, 22050)
    with server.app.app_context():
        school_class = SchoolClass.query.filter_by(label="CM2 A").one()
        waiting, failed, crashed = (
            takes.ingest(
                school_class.school,
                io.BytesIO(wav.read_bytes() + bytes([n])),
                school_class=school_class,
                label=label,
                origin="studio",
            )
            for n, label in ((1, "Prise en attente"), (2, "Prise en échec"), (3, "Prise cassée"))
        )
        waiting.state, waiting.failure_reason = "uploaded", jobs.DISK_WAIT
        failed.state, failed.failure_reason = "failed", jobs.DISK_FULL
        crashed.state, crashed.failure_reason = "failed", jobs.GENERIC_FAILURE
        db.session.commit()
    shots = Path("/tmp/shots")
    shots.mkdir(exist_ok=True)
    for width in (1366, 1024, 360):
        context = browser.new_context(viewport={"width": width, "height": 900})
        tablet = context.new_page()
        tablet.goto(f"{server.base_url}/studio/{code}")
        takes_list = tablet.locator("ul.takes")
        tablet.screenshot(path=str(shots / f"studio-reasons-{width}.png"), full_page=True)
        reasons = {
            "Prise en attente": "En attente de place",
            "Prise en échec": "Le disque du serveur est plein",
            "Prise cassée": "erreur inattendue",
        }
        # Only these three takes: the shared server's class holds other tests' takes too.
        for label, reason in reasons.items():
            text = takes_list.locator("li", has_text=label).inner_text()
            assert text.count(reason) == 1, (width, text)
            assert text.count("original est conservé") == 1, (width, text)
        assert tablet.evaluate("document.documentElement.scrollWidth") <= width
        context.close()
