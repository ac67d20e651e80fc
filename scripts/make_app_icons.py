"""Draw the installable app's PNG icons (static/img/icon-*.png) from the logo's shapes:
a red disc with the yellow star. Run once; the PNGs are committed."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

RED, YELLOW = (181, 38, 30, 255), (255, 211, 78, 255)
# The logo's star (static/img/logo.svg), on a 64-unit grid.
STAR = [
    (32, 14), (37.3, 24.8), (49.2, 26.5), (40.6, 34.9), (42.6, 46.7),
    (32, 41.1), (21.4, 46.7), (23.4, 34.9), (14.8, 26.5), (26.7, 24.8),
]  # fmt: skip


def draw(size: int, maskable: bool) -> Image.Image:
    """Return the icon at `size` px; a maskable one fills the square (safe zone 80%)."""
    scale = 4  # draw large, then shrink: smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), RED if maskable else (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        unit, offset = big * 0.8 / 64, big * 0.1
    else:
        unit, offset = big / 64, 0.0
        pen.ellipse((2 * unit, 2 * unit, 62 * unit, 62 * unit), fill=RED)
    pen.polygon([(offset + x * unit, offset + y * unit) for x, y in STAR], fill=YELLOW)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    """Write icon-192.png, icon-512.png and icon-maskable-512.png."""
    out = Path(__file__).resolve().parent.parent / "static" / "img"
    draw(192, False).save(out / "icon-192.png", optimize=True)
    draw(512, False).save(out / "icon-512.png", optimize=True)
    draw(512, True).save(out / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
