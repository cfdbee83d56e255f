"""Fill the French catalogue's plural entries from the French source strings.

French is the source language: its catalogue (webradio/translations/fr) translates nothing but
the plural forms, so that gettext counts as French does: « 0 élève », « 1 élève »,
« 2 élèves » (without a catalogue gettext applies English's rule and writes « 0 élèves »).
Run after `pybabel update` (webradio/translations/README.md); it keeps only the plural entries:
every other string reads as written in the code.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).parents[1] / "webradio/translations/fr/LC_MESSAGES/messages.po"


def main() -> None:
    with CATALOGUE.open("rb") as source:
        catalog = read_po(source, locale="fr")
    forms = catalog.num_plurals  # CLDR: one (0 and 1), many (millions), other
    for message in list(catalog):
        if message.id and message.pluralizable:
            singular, plural = message.id[0], message.id[1]
            message.string = (singular,) + (plural,) * (forms - 1)
            message.flags.discard("fuzzy")
        elif message.id:  # read as written in the code: no entry needed
            del catalog[message.id]
    with CATALOGUE.open("wb") as target:
        write_po(target, catalog, width=100, ignore_obsolete=True)


if __name__ == "__main__":
    main()
