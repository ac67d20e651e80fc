"""Shared PDF look for reports and certificates: the Chinese font, styles, page numbers."""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

# A built-in CID font: viewers supply the glyphs, so the PDF needs no font file and
# stays small; every common viewer (and poppler with poppler-data) maps it to a Song font.
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
# Viewers without Adobe's Song substitute another CJK font whose Latin glyphs are wider
# than STSong's metrics, so digits collide; Helvetica's metrics are known everywhere.
LATIN_FONT = "Helvetica"
_LATIN_RUN = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
HEADER_FILL = colors.HexColor("#e4ebf5")
TOTAL_FILL = colors.HexColor("#f3f5f7")
ACCENT = colors.HexColor("#b42318")


def markup(text: str) -> str:
    """Return text escaped for a Paragraph, with its Latin runs set in LATIN_FONT."""
    parts: list[str] = []
    position = 0
    for match in _LATIN_RUN.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(f'<font face="{LATIN_FONT}">{escape(match.group())}</font>')
        position = match.end()
    parts.append(escape(text[position:]))
    return "".join(parts)


def text_runs(text: str) -> list[tuple[str, str]]:
    """Split text into (font, run) pairs for drawing straight onto a canvas."""
    runs: list[tuple[str, str]] = []
    position = 0
    for match in _LATIN_RUN.finditer(text):
        if match.start() > position:
            runs.append((FONT, text[position : match.start()]))
        runs.append((LATIN_FONT, match.group()))
        position = match.end()
    if position < len(text):
        runs.append((FONT, text[position:]))
    return runs


def draw_text(
    canvas: Canvas, x: float, y: float, text: str, size: float, anchor: str = "left"
) -> None:
    """Draw mixed Chinese/Latin text at (x, y), anchored left, right or centre."""
    runs = text_runs(text)
    width = sum(pdfmetrics.stringWidth(run, font, size) for font, run in runs)
    x -= {"left": 0, "right": width, "centre": width / 2}[anchor]
    for font, run in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, font, size)


def paragraph_styles() -> dict[str, ParagraphStyle]:
    """Return the paragraph styles used by every PDF, keyed by role."""
    base = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, textColor=INK)
    return {
        "title": ParagraphStyle("title", base, fontSize=20, leading=28, alignment=TA_CENTER),
        "subtitle": ParagraphStyle(
            "subtitle", base, fontSize=10, leading=14, alignment=TA_CENTER, textColor=MUTED
        ),
        "body": base,
        "meta": ParagraphStyle("meta", base, fontSize=9.5, leading=14, textColor=INK),
        "small": ParagraphStyle("small", base, fontSize=8, leading=11, textColor=MUTED),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=11),
        "cell_head": ParagraphStyle(
            "cell_head", base, fontSize=8.5, leading=11, alignment=TA_CENTER
        ),
        "cell_num": ParagraphStyle("cell_num", base, fontSize=8.5, leading=11, alignment=TA_RIGHT),
        "right": ParagraphStyle("right", base, alignment=TA_RIGHT),
        "center": ParagraphStyle("center", base, alignment=TA_CENTER),
    }


def numbered_canvas(
    footer_left: str, margin: float = 15 * mm, baseline: float = 9 * mm
) -> type[Canvas]:
    """Return a canvas class that writes "第 n 页 / 共 N 页" and a left footer on each page."""

    class NumberedCanvas(Canvas):
        # Pages are held back until save() so the total page count is known.
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held_pages)
            for state in self._held_pages:
                self.__dict__.update(state)
                self._draw_footer(total)
                super().showPage()
            super().save()

        def _draw_footer(self, total: int) -> None:
            width, _ = self._pagesize
            self.saveState()
            self.setFillColor(MUTED)
            draw_text(self, margin, baseline, footer_left, 8)
            page = f"第 {self._pageNumber} 页 / 共 {total} 页"
            draw_text(self, width - margin, baseline, page, 8, anchor="right")
            self.restoreState()

    return NumberedCanvas
