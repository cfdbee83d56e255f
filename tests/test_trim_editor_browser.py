"""The trim editor of a new episode, in a real chromium, on a real recording.

One server, one page: the editor fits a phone, its handles move by touch and by keyboard, it
plays from any point with a moving playhead, it zooms, it asks for the sound by byte ranges
only, and what it submits is what the master is cut to.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import re
import sys
import tarfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from mutagen.mp3 import MP3
from playwright.sync_api import Page, Request, expect
from test_family_letters import axe, browser_on, shoot
from web_support import PASSWORD, fetch, sign_in

from webradio import runtime, schools, takes
from webradio.models import Episode, School, Take

RECORDING = Path(__file__).parent / "audio" / "real" / "en_3speakers_with_pauses_16k.wav"
VENDOR_SCRIPT = Path(__file__).parent.parent / "scripts" / "vendor_js.py"
PHONE = {"width": 360, "height": 800}


def vendor_js() -> ModuleType:
    """scripts/vendor_js.py, loaded as a module (it is a maintainer's script, not a package)."""
    spec = importlib.util.spec_from_file_location("vendor_js", VENDOR_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("vendor_js", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_vendored_libraries_are_the_pinned_ones() -> None:
    script = vendor_js()
    readme = (script.VENDOR / "README.md").read_text()
    for name, library in script.LIBRARIES.items():
        folder = script.VENDOR / name
        if name != "wavesurfer.js" and not folder.exists():
            continue  # vendored by the feature that uses it
        assert (folder / "VERSION").read_text().strip() == library.version, name
        assert (folder / "LICENSE").stat().st_size > 0, name
        for inside in library.files.values():
            assert (folder / inside).stat().st_size > 0, (name, inside)
        assert f"| `{name}` | {library.version} | {library.licence} |" in readme


def test_vendoring_checks_the_registry_integrity(tmp_path: Path) -> None:
    script = vendor_js()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in (("package/dist/lib.min.js", b"x=1"), ("package/LICENSE", b"MIT")):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    tarball = buffer.getvalue()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    script.check_integrity(tarball, integrity)
    with pytest.raises(script.VendorError):
        script.check_integrity(tarball + b"!", integrity)
    library = script.Library("1.2.3", "MIT", "a test", {"dist/lib.min.js": "lib.min.js"})
    script.extract(tarball, library, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LICENSE", "VERSION", "lib.min.js"]
    assert (tmp_path / "VERSION").read_text() == "1.2.3\n"
    missing = script.Library("1.2.3", "MIT", "a test", {"dist/other.js": "other.js"})
    with pytest.raises(script.VendorError):
        script.extract(tarball, missing, tmp_path / "again")


@pytest.fixture
def take(app: Flask) -> Take:
    """A teacher's school holding one analysed take of a real recording (about 20 s)."""
    school: School = schools.create_school("ecole-montage", "École du Montage")
    schools.create_user("prof@ecole.fr", "teacher", PASSWORD, school)
    with RECORDING.open("rb") as stream:
        made = takes.ingest(school, stream, label="Trois voix")
    assert made.state == "ready", made.failure_reason  # the queue runs at once in tests
    return made


def test_the_take_is_served_by_byte_ranges(client: FlaskClient, take: Take) -> None:
    size = RECORDING.stat().st_size
    url = f"/son/prises/{take.id}/son"
    assert fetch(client, url).status_code == 302  # signed-in staff only
    sign_in(client, "prof@ecole.fr")
    whole = fetch(client, url)
    assert whole.status_code == 200 and whole.headers["Content-Type"] == "audio/wav"
    assert whole.headers["Accept-Ranges"] == "bytes" and len(whole.data) == size
    part = fetch(client, url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and len(part.data) == 1000
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{size}"
    assert part.data == RECORDING.read_bytes()[1000:2000]
    assert fetch(client, url, headers={"Range": f"bytes={size}-"}).status_code == 416
    assert fetch(client, "/son/prises/nope/son").status_code == 404


def editor_state(page: Page) -> dict[str, Any]:
    """What the editor shows: its fields, zoom, playhead and media element."""
    state: dict[str, Any] = page.evaluate(
        """() => {
            const root = document.querySelector('[data-trim]');
            const audio = root.querySelector('audio');
            const host = root.querySelector('[data-trim-wave] > div');
            const cursor = host.shadowRoot.querySelector('[part~="cursor"]');
            return {
                in: root.querySelector('input.in').value,
                out: root.querySelector('input.out').value,
                pxPerS: parseFloat(root.dataset.pxPerS),
                time: audio.currentTime,
                paused: audio.paused,
                preload: audio.preload,
                cursor: cursor ? cursor.getBoundingClientRect().left : null,
            };
        }"""
    )
    return state


def touch_drag(page: Page, start: tuple[float, float], end_x: float) -> None:
    """Drag a finger from `start` to `end_x` (same height), as a touch screen sends it."""
    session = page.context.new_cdp_session(page)
    x, y = start

    def touch(kind: str, at: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": at, "y": y, "id": 1}]
        session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x)
    time.sleep(0.15)  # wavesurfer waits 100 ms on touch screens before a drag starts
    steps = 12
    for n in range(1, steps + 1):
        touch("touchMove", x + (end_x - x) * n / steps)
        time.sleep(0.02)
    touch("touchEnd", end_x)
    session.detach()


@pytest.mark.browser
def test_trim_editor_by_touch_and_keyboard(app: Flask, take: Take, browser_path: str) -> None:
    duration = float(take.analysis["duration_s"])  # type: ignore[index]
    audio_url = f"/son/prises/{take.id}/son"
    options = {"viewport": PHONE, "has_touch": True}
    with browser_on(app, browser_path, "prof@ecole.fr", **options) as (context, origin):
        page = context.new_page()
        audio_requests: list[Request] = []
        page.on("request", lambda r: audio_requests.append(r) if audio_url in r.url else None)
        refused: list[str] = []  # whatever policy staff pages get must let the editor run
        page.on("console", lambda m: refused.append(m.text) if "Policy" in m.text else None)
        page.goto(f"{origin}/episodes/nouveau")
        part = page.locator(".parts-editor .part", has_text="Trois voix")
        part.locator("summary").click()
        wave = part.locator("[data-trim-wave]")
        out_handle = wave.locator('[data-trim-handle="out"]')
        in_handle = wave.locator('[data-trim-handle="in"]')
        expect(out_handle).to_be_attached(timeout=15_000)
        expect(part.get_by_role("button", name="Lecture")).to_be_visible()
        assert editor_state(page)["preload"] == "metadata"

        # At 360 px nothing sticks out sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(page, "trim-editor-360")

        # A finger drags the out point to two thirds of the take.
        box = wave.bounding_box()
        handle = out_handle.bounding_box()
        assert box is not None and handle is not None
        grab_x = min(handle["x"] + handle["width"] / 2, box["x"] + box["width"] - 4)
        grab_y = box["y"] + 40
        target = duration * 2 / 3
        to_x = box["x"] + box["width"] * target / duration
        touch_drag(page, (grab_x, grab_y), to_x)
        moved_to = duration + (to_x - grab_x) / box["width"] * duration
        out_value = float(editor_state(page)["out"])
        assert out_value == pytest.approx(moved_to, abs=0.1), (out_value, moved_to)
        assert out_value < duration - 3
        expect(part.locator("input[name=take_ids]")).to_be_checked()
        out_handle.focus()
        page.keyboard.press("Shift+ArrowLeft")
        assert float(editor_state(page)["out"]) == pytest.approx(out_value - 1, abs=0.01)
        page.keyboard.press("Shift+ArrowRight")
        assert float(editor_state(page)["out"]) == pytest.approx(out_value, abs=0.01)

        # The keyboard reaches the in point right after « Couper la prise » and moves it:
        # 5 tenths, then 2 seconds with Shift.
        part.locator("summary").focus()
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement.shadowRoot?.activeElement?.getAttribute('data-trim-handle')"
        )
        assert focused == "in"
        assert in_handle.get_attribute("role") == "slider"
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("Shift+ArrowRight")
        assert editor_state(page)["in"] == "2.5"
        assert in_handle.get_attribute("aria-valuetext") == "2,5 s"
        page.keyboard.press("Shift+ArrowLeft")
        assert editor_state(page)["in"] == "1.5"
        part.locator("input.in").fill("2.5")  # typed, as teachers may
        part.locator("input.in").dispatch_event("change")

        # Zoom: more pixels per second, and the page still fits.
        before = editor_state(page)["pxPerS"]
        part.get_by_role("button", name="Plus de détail").click()
        part.get_by_role("button", name="Plus de détail").click()
        after = editor_state(page)["pxPerS"]
        assert after > before * 1.5, (before, after)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        part.get_by_role("slider", name="Zoom").fill("0")

        # Play from a chosen point: a tap on the waveform, then Lecture; the playhead moves.
        chosen = duration * 0.4
        wave.scroll_into_view_if_needed()
        box = wave.bounding_box()  # the page may have scrolled since
        assert box is not None
        page.touchscreen.tap(box["x"] + box["width"] * 0.4, box["y"] + 60)
        page.wait_for_function(
            f"Math.abs(document.querySelector('[data-trim] audio').currentTime - {chosen}) < 0.3"
        )
        tapped = editor_state(page)
        assert tapped["paused"]  # a tap places the playhead, it does not play
        cursor_before = tapped["cursor"]
        part.get_by_role("button", name="Lecture").click()
        page.wait_for_function(
            f"document.querySelector('[data-trim] audio').currentTime > {chosen + 1.0}",
            timeout=10_000,
        )
        playing = editor_state(page)
        assert not playing["paused"] and playing["cursor"] > cursor_before
        assert playing["time"] < chosen + 3  # it started from the chosen point
        expect(part.get_by_role("button", name="Pause")).to_be_visible()
        part.get_by_role("button", name="Pause").click()

        # « Écouter la sélection » plays from the in point.
        part.get_by_role("button", name="Écouter la sélection").click()
        page.wait_for_function(
            "(() => { const a = document.querySelector('[data-trim] audio');"
            " return !a.paused && a.currentTime > 2.6 && a.currentTime < 4.5; })()",
            timeout=10_000,
        )
        part.get_by_role("button", name="Pause").click()
        assert axe(page) == []

        for width in (1366, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            shoot(page, f"trim-editor-{width}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width

        assert refused == []

        # The sound came by byte ranges only, never fetched whole by script.
        assert audio_requests, "the editor never asked for the sound"
        for request in audio_requests:
            assert request.resource_type == "media", request.resource_type
            assert re.fullmatch(r"bytes=\d+-\d*", request.headers.get("range", "")), request

        # Submitting trims the master to the chosen points.
        page.fill("input[name=title]", "Un extrait")
        page.check("input[name=no_pupil_voices]")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/episodes/[^/]+$"), timeout=60_000)

    episode = Episode.query.one()
    (only,) = episode.parts
    assert (only.in_s, only.out_s) == (2.5, out_value)
    assert episode.media_key, episode.failure_reason
    master = MP3(str(runtime.storage().local_path(episode.media_key))).info.length
    assert master == pytest.approx(out_value - 2.5, abs=0.3), master
