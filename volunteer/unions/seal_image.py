"""A seal image drawn in code, for the demo data and the tests (a real union uploads its own)."""

from __future__ import annotations

import io
import math
import os

from PIL import Image, ImageDraw, ImageFont

SEAL_RED = (200, 22, 29, 235)
# A CJK font that Debian's fonts-wqy-zenhei installs; without it the seal has no lettering.
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def _font(size: int) -> ImageFont.FreeTypeFont | None:
    for path in CJK_FONTS:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return None


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * 0.382
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def seal_png(name: str, size: int = 360, footer: str = "证明专用章") -> bytes:
    """Return a round red seal (PNG, transparent) with `name` along its upper arc."""
    scale = 2  # drawn large, then reduced: smooth edges without antialiasing support
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre, ring = big / 2, big * 0.035
    draw.ellipse((ring, ring, big - ring, big - ring), outline=SEAL_RED, width=int(ring * 1.6))
    draw.polygon(_star(centre, centre, big * 0.14), fill=SEAL_RED)
    font = _font(int(big * 0.1))
    if font is not None and name:
        radius = big * 0.36
        span = min(math.radians(250), math.radians(26) * len(name))
        for i, char in enumerate(name):
            angle = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(name)
            glyph = Image.new("RGBA", (int(big * 0.14), int(big * 0.14)), (0, 0, 0, 0))
            ImageDraw.Draw(glyph).text(
                (glyph.width / 2, glyph.height / 2), char, font=font, fill=SEAL_RED, anchor="mm"
            )
            glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.BICUBIC)
            x = centre + radius * math.cos(angle) - glyph.width / 2
            y = centre + radius * math.sin(angle) - glyph.height / 2
            image.alpha_composite(glyph, (int(x), int(y)))
        small = _font(int(big * 0.075))
        draw.text((centre, big * 0.72), footer, font=small, fill=SEAL_RED, anchor="mm")
    image = image.resize((size, size), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
