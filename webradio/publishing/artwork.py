"""The default show artwork: a 1400 px square PNG bearing the school's name."""

from __future__ import annotations

import functools
import hashlib
import io
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from webradio.errors import N_, WebradioError

SIZE_PX = 1400  # Apple's minimum, so the feed is valid without an upload
MIN_PX, MAX_PX = 1400, 3000  # Apple's bounds for show artwork
FORMATS = {"PNG": "png", "JPEG": "jpg"}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MARGIN_PX = 140
MAX_LINES = 5
NAME_BAND_PX = (440, 1160)  # between the waves and the label
FONT_SIZES_PX = tuple(range(170, 59, -10))
LABEL = "WEBRADIO"

# Pillow's bundled font (Aileron) covers ASCII only; capitals may drop their accents in
# French typography, so the name is shown upper-cased and folded rather than as empty boxes.
_FOLD = str.maketrans({"Œ": "OE", "Æ": "AE", "Ø": "O", "Ð": "D", "Þ": "TH", "’": "'", "‘": "'"})


@dataclass(frozen=True)
class Palette:
    """Background, text and accent colours, chosen to keep contrast above 4.5:1."""

    background: tuple[int, int, int]
    text: tuple[int, int, int]
    accent: tuple[int, int, int]


PALETTES = (
    Palette((24, 64, 112), (255, 255, 255), (255, 196, 61)),  # night blue, sun yellow
    Palette((16, 94, 84), (255, 255, 255), (250, 170, 120)),  # teal, apricot
    Palette((120, 36, 72), (255, 255, 255), (255, 205, 150)),  # plum, peach
    Palette((255, 214, 92), (33, 37, 41), (200, 60, 40)),  # sunflower, ink, brick
    Palette((232, 240, 250), (20, 50, 90), (230, 90, 70)),  # paper blue, navy, coral
    Palette((50, 48, 110), (255, 255, 255), (120, 220, 200)),  # indigo, mint
)


class ArtworkRefused(WebradioError):
    """An uploaded image that podcast directories would refuse; the message says what to do."""

    http_status = 422


@dataclass(frozen=True)
class CheckedArtwork:
    """An accepted upload: its file extension and side in pixels."""

    extension: str
    side_px: int


def check_artwork(data: bytes) -> CheckedArtwork:
    """Accept a square RGB PNG or JPEG of 1400 to 3000 px, else say what is wrong."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ArtworkRefused(N_("L'image dépasse 10 Mo ; enregistrez-la plus légère."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            kind, mode, (width, height) = image.format, image.mode, image.size
    except Image.DecompressionBombError as error:  # read from the header, nothing decoded
        raise ArtworkRefused(
            N_("L'image doit mesurer entre 1400 et 3000 px de côté (elle est bien plus grande).")
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ArtworkRefused(N_("Ce fichier n'est pas une image PNG ou JPEG lisible.")) from error
    if kind not in FORMATS:
        raise ArtworkRefused(N_("L'image doit être au format PNG ou JPEG."))
    if width != height:
        raise ArtworkRefused(
            N_("L'image doit être carrée (elle mesure %(width)d × %(height)d px)."),
            width=width,
            height=height,
        )
    if not MIN_PX <= width <= MAX_PX:
        raise ArtworkRefused(
            N_("L'image doit mesurer entre 1400 et 3000 px de côté (elle en mesure %(side)d)."),
            side=width,
        )
    if mode not in {"RGB", "RGBA", "P", "L"}:
        raise ArtworkRefused(N_("L'image doit être en couleurs RVB (pas en CMJN)."))
    return CheckedArtwork(FORMATS[kind], width)


@functools.lru_cache(maxsize=64)
def default_artwork(name: str) -> bytes:
    """A 1400x1400 RGB PNG bearing `name`; the same name always gives the same bytes (drawn
    once per process: every rewrite of a school's feeds asks for it)."""
    palette = _palette_for(name)
    image = Image.new("RGB", (SIZE_PX, SIZE_PX), palette.background)
    draw = ImageDraw.Draw(image)
    _draw_waves(draw, palette)
    _draw_name(draw, _displayable(name) or LABEL, palette)
    label_font = _font(56)
    draw.text(
        (SIZE_PX / 2, SIZE_PX - MARGIN_PX),
        LABEL,
        font=label_font,
        fill=palette.accent,
        anchor="ms",
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled scalable font (needs FreeType, which Pillow's wheels include)."""
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise RuntimeError("Pillow was built without FreeType; the default artwork needs it")
    return font


def _palette_for(name: str) -> Palette:
    """A palette picked from a stable hash of the name (never Python's salted hash())."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return PALETTES[digest[0] % len(PALETTES)]


def _displayable(name: str) -> str:
    """The name upper-cased and folded to the printable ASCII the bundled font draws."""
    decomposed = unicodedata.normalize("NFKD", name.upper().translate(_FOLD))
    kept = "".join(ch for ch in decomposed if " " <= ch <= "~" or ch.isspace())
    return " ".join(kept.split())


def _draw_waves(draw: ImageDraw.ImageDraw, palette: Palette) -> None:
    """An on-air dot with three radio waves, at the top of the square."""
    cx, cy = SIZE_PX // 2, 330
    draw.ellipse((cx - 34, cy - 34, cx + 34, cy + 34), fill=palette.accent)
    for radius in (90, 150, 210):
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        draw.arc(box, start=200, end=340, fill=palette.accent, width=22)


def _draw_name(draw: ImageDraw.ImageDraw, text: str, palette: Palette) -> None:
    """The name, wrapped and centred in the middle band, as large as fits."""
    width = SIZE_PX - 2 * MARGIN_PX
    band = NAME_BAND_PX[1] - NAME_BAND_PX[0]
    font = _font(FONT_SIZES_PX[-1])
    lines = _wrap(text, font, width)
    for size in FONT_SIZES_PX:
        candidate = _font(size)
        wrapped = _wrap(text, candidate, width)
        if len(wrapped) <= MAX_LINES and len(wrapped) * _line_height(candidate) <= band:
            font, lines = candidate, wrapped
            break
    lines = lines[:MAX_LINES]
    line_height = _line_height(font)
    middle = sum(NAME_BAND_PX) / 2
    top = middle - line_height * (len(lines) - 1) / 2
    for index, line in enumerate(lines):
        draw.text(
            (SIZE_PX / 2, top + index * line_height),
            line,
            font=font,
            fill=palette.text,
            anchor="mm",
        )


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    """Baseline-to-baseline distance for the name."""
    return round(font.size * 1.2)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to `width` pixels; a word longer than a line is cut."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        for piece in _split_long(word, font, width):
            attempt = f"{current} {piece}" if current else piece
            if font.getlength(attempt) <= width:
                current = attempt
            else:
                if current:
                    lines.append(current)
                current = piece
    if current:
        lines.append(current)
    return lines


def _split_long(word: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Cut a word wider than a line into pieces that fit."""
    pieces: list[str] = []
    current = ""
    for ch in word:
        if current and font.getlength(current + ch) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    return [*pieces, current] if current else pieces
