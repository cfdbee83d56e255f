"""An English translation placed in an HTML attribute holds no straight double quote: the
translated text is trusted markup, so `Start of "%(name)s"` closed the attribute early
(`data-label-in="Start of " la="" sortie=""...`) and the handles lost their names."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[1]
IN_ATTRIBUTE = re.compile(r"""=\s*"\{\{\s*(?:_|tr)\(\s*(['"])(.*?)\1""")


def test_no_translation_in_an_attribute_holds_a_double_quote() -> None:
    with (ROOT / "webradio/translations/en/LC_MESSAGES/messages.po").open("rb") as source:
        english = {m.id: m.string for m in read_po(source) if m.id}
    placed = {
        found.group(2)
        for page in (ROOT / "templates").rglob("*.html")
        for found in IN_ATTRIBUTE.finditer(page.read_text(encoding="utf-8"))
    }
    assert len(placed) > 20  # the pattern still finds the attributes
    broken = {m: english[m] for m in placed if '"' in str(english.get(m, ""))}
    assert not broken, broken
