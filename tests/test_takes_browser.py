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

        # The editor draws the waveform; a click sets the in point, shift+click the out point.
        page.goto(f"{demo.base_url}/episodes/nouveau")
        part = page.locator(".parts-editor .part", has_text="Le potager")
        canvas = part.locator("canvas.wave")
        page.wait_for_function(
            "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v)",
            arg=canvas.element_handle(),
            timeout=30_000,
        )
        duration = float(canvas.get_attribute("data-duration") or "0")
        box = canvas.bounding_box()
        assert box is not None and duration > 10
        canvas.click(position={"x": box["width"] * 0.25, "y": box["height"] / 2})
        canvas.click(
            position={"x": box["width"] * 0.75, "y": box["height"] / 2}, modifiers=["Shift"]
        )
        start = float(part.locator("input.in").input_value())
        end = float(part.locator("input.out").input_value())
        assert start == pytest.approx(duration * 0.25, abs=0.15)
        assert end == pytest.approx(duration * 0.75, abs=0.15)
        assert re.fullmatch(r"\d+\.\d", part.locator("input.in").input_value())
        expect(part.locator("input[name=take_ids]")).to_be_checked()

        page.fill("input[name=title]", "Un extrait du potager")
        page.check("input[name=no_pupil_voices]")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/episodes/[^/]+$"))
        section = page.locator(".sound-episode")
        expect(section).to_contain_text(f"{start:.1f} s → {end:.1f} s", timeout=SLOW)
        browser.close()
