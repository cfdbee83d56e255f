"""In a real chromium: a take's sound report after upload, and the waveform trim editor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, Demo, sign_in
from playwright.sync_api import expect, sync_playwright

from webradio.audio.clips import make_speechlike_take
from webradio.audio.ffmpeg import find_ffmpeg

SLOW = 90_000  # ms: analysing or rendering on a busy machine


@pytest.mark.browser
def test_report_and_trim_editor(browser_path: str, demo: Demo, tmp_path: Path) -> None:
    wav = make_speechlike_take(tmp_path / "prise.wav", find_ffmpeg(), seconds=12.0)
    # Other bytes than the demo's own take (the same file twice would be that one take).
    wav.write_bytes(wav.read_bytes() + bytes(2))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        page = browser.new_page()
        sign_in(page, demo, demo.teacher)

        # After the upload, the class reads its report; the teacher opens the figures.
        page.goto(f"{demo.base_url}/prises/nouvelle")
        page.fill("input[name=label]", "Le potager")
        page.set_input_files("input[type=file]", str(wav))
        page.get_by_role("button", name="Envoyer", exact=True).click()
        report = page.locator("form.upload .take-report")
        expect(report.locator("ul.advice li").first).to_be_visible(timeout=SLOW)
        report.locator("summary").click()
        expect(report.locator("table.figures")).to_contain_text("Volume moyen")
        expect(report.locator("table.figures")).to_contain_text("LUFS")

        # The trim editor (touch, playback and zoom: test_trim_editor_browser.py): the
        # keyboard moves its handles, a second at a time with Shift.
        page.goto(f"{demo.base_url}/episodes/nouveau")
        part = page.locator(".parts-editor .part", has_text="Le potager")
        part.locator("summary").click()
        duration = float(part.locator("[data-trim]").get_attribute("data-duration") or "0")
        assert duration > 10
        part.locator('[data-trim-handle="in"]').focus()
        for _ in range(3):
            page.keyboard.press("Shift+ArrowRight")
        part.locator('[data-trim-handle="out"]').focus()
        for _ in range(3):
            page.keyboard.press("Shift+ArrowLeft")
        start = float(part.locator("input.in").input_value())
        end = float(part.locator("input.out").input_value())
        assert start == 3.0
        assert end == pytest.approx(duration - 3, abs=0.1)
        assert re.fullmatch(r"\d+\.\d", part.locator("input.out").input_value())
        expect(part.locator("input[name=take_ids]")).to_be_checked()

        page.fill("input[name=title]", "Un extrait du potager")
        page.check("input[name=no_pupil_voices]")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/episodes/[^/]+$"))
        section = page.locator(".sound-episode")
        # French decimals: « 3,0 s → 10,1 s ».
        span = f"{start:.1f} s → {end:.1f} s".replace(".", ",")
        expect(section).to_contain_text(span, timeout=SLOW)
        browser.close()
