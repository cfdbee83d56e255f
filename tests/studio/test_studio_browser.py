"""In a real chromium with its fake microphone, against one `webradio run`: a recording kept on
the tablet through a network drop and a reload arrives once; a large upload cut at 45 % resumes
from there; an expired page token is renewed without losing the upload."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, Demo, demo_server, sign_in
from playwright.sync_api import Browser, Route, expect, sync_playwright

from webradio.audio.ffmpeg import find_ffmpeg

CHUNK = 5 * 1024 * 1024
SLOW = 45_000  # ms


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with demo_server(tmp_path_factory.mktemp("studio-demo")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(server: Demo) -> Iterator[Browser]:
    from browser_support import chromium_path

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


def _takes(demo: Demo, origin: str) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(demo.root / "db.sqlite3") as connection:
        return connection.execute(
            "SELECT id, state, analysis_json FROM take WHERE origin = ? ORDER BY created_at",
            (origin,),
        ).fetchall()


def _open_studio(browser: Browser, demo: Demo) -> str:
    teacher = browser.new_page()
    sign_in(teacher, demo, demo.teacher)
    teacher.get_by_role("button", name="Ouvrir un studio").first.click()
    code = teacher.locator("td code").first.inner_text()
    expect(teacher.get_by_role("button", name="Ouvrir un studio")).to_have_count(0)  # CM2 A only
    teacher.close()
    return code


@pytest.mark.browser
def test_a_recording_survives_a_network_drop_and_a_reload(browser: Browser, server: Demo) -> None:
    code = _open_studio(browser, server)
    context = browser.new_context()
    tablet = context.new_page()
    tablet.goto(f"{server.base_url}/studio/{code}")
    tablet.fill("input[name=label]", "Le vent")
    tablet.get_by_role("button", name="Enregistrer au micro").click()
    expect(tablet.locator(".rec-live .timer")).to_have_text("0:02", timeout=10_000)
    level = float(tablet.locator("meter.level").evaluate("m => m.value"))
    assert 0 < level <= 1  # the meter follows the microphone

    context.set_offline(True)  # the Wi-Fi drops as the pupil presses stop
    started = time.monotonic()
    expect(tablet.locator(".rec-live .timer")).to_have_text("0:04", timeout=10_000)
    tablet.get_by_role("button", name="Arrêter").click()
    review = tablet.locator(".take-review")
    expect(review.locator("audio")).to_be_visible()  # listen back before sending
    tablet.get_by_role("button", name="Envoyer l’enregistrement").click()
    expect(tablet.locator(".upload-status")).to_contain_text("en attente du réseau")
    del started

    # The server stays out of reach while the network returns and the page reloads.
    tablet.route("**/envois/**", lambda route: route.abort())
    context.set_offline(False)
    context.clear_cookies()  # session and CSRF token gone: the studio does not need them
    tablet.reload()
    pending = tablet.locator("section.pending li")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("Le vent")
    tablet.unroute("**/envois/**")
    expect(tablet.locator(".upload-status")).to_contain_text("Reçue par le serveur", timeout=SLOW)
    expect(tablet.locator("section.pending")).to_be_hidden()
    expect(tablet.locator(".upload-status")).to_contain_text("Prise prête", timeout=SLOW)

    received = _takes(server, "studio")
    assert len(received) == 1  # exactly once
    analysis = json.loads(received[0][2] or "{}")
    assert 3.5 <= analysis["duration_s"] <= 6.5  # about the four seconds recorded, intact
    tablet.reload()
    expect(tablet.locator("section.pending")).to_be_hidden()  # nothing left on the tablet
    context.close()


@pytest.mark.browser
def test_a_cut_upload_resumes_from_its_offset_with_a_renewed_token(
    browser: Browser, server: Demo, tmp_path: Path
) -> None:
    big = tmp_path / "reportage.wav"  # 11.5 MB: three 5 MB chunks
    subprocess.run(
        [
            str(getattr(find_ffmpeg(), "path", find_ffmpeg())),
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=120,volume=0.3",
            "-ar",
            "48000",
            "-ac",
            "1",
            "-c:a",
            "pcm_s16le",
            str(big),
        ],
        check=True,
    )
    size = big.stat().st_size
    page = browser.new_page()
    sign_in(page, server, server.teacher)
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
    staff = [t for t in _takes(server, "staff")]
    assert len(staff) == 2  # the demo's take and this one
    with sqlite3.connect(server.root / "db.sqlite3") as connection:
        (stored,) = connection.execute(
            "SELECT size_bytes FROM take WHERE label = 'Reportage long'"
        ).fetchone()
    assert stored == size
