"""Walk every page reachable by links from a role's home and judge what a person sees:
no internal codes or numbers, no JSON, nothing wider than the screen, no broken link,
no slow page, no serious accessibility violation (axe-core, vendored for tests only)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def AXE_SOURCE() -> str:  # noqa: N802 - read once, lazily
    if not _AXE_CACHE:
        _AXE_CACHE.append(AXE.read_text() + "\n;0")
    return _AXE_CACHE[0]


_AXE_CACHE: list[str] = []
SLOW_SECONDS = 2.0
PER_PATTERN = 2  # /students/1 and /students/2 stand for every student page
MAX_PAGES = 150

# A code like token_reused; usernames (stu_demo1) end in a digit and are data, not codes.
SNAKE = re.compile(r"(?<![\w@/.-])[a-z]+(?:_[a-z]+)+(?![\w@/.-])")
HASH_NUMBER = re.compile(r"#\d+")
# Emoji and pictographs render as empty boxes where no emoji font exists: icons are SVG.
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")
JSON_TEXT = re.compile(r'[{\[]\s*"[^"]*"\s*:|\\u[0-9a-fA-F]{4}')
# Links that are not pages: files, language switches, logging out.
NOT_PAGES = re.compile(
    r"(\.(csv|xlsx|pdf|png|svg|txt|json)$)|/download|/export|/lang/|/logout|/static/|/api/"
)

VISIBLE_TEXT_JS = """() => {
  // The text a person reads, leaving out what shows data as typed (usernames in <code>).
  const skip = new Set(['SCRIPT', 'STYLE', 'CODE', 'KBD', 'SAMP', 'TEXTAREA', 'NOSCRIPT']);
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (skip.has(el.tagName) || el.hidden) return NodeFilter.FILTER_REJECT;
      }
      const style = getComputedStyle(node.parentElement);
      if (style.display === 'none' || style.visibility === 'hidden') return NodeFilter.FILTER_REJECT;
      return NodeFilter.FILTER_ACCEPT;
    }
  });
  while (walker.nextNode()) out.push(walker.currentNode.nodeValue);
  return out.join(' ');
}"""

LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.hasAttribute('download') && !a.closest('[data-walk-skip]'))
  .map(a => a.href)"""

AXE_JS = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


def pattern(path: str) -> str:
    """The shape of a path: numbers, months, dates and tokens stand for any."""
    path = re.sub(r"\d{4}-\d{2}(-\d{2})?", "D", path)
    path = re.sub(r"/[0-9]+(?=/|$)", "/N", path)
    return re.sub(r"/[A-Za-z0-9_-]{20,}(?=/|$)", "/T", path)


@dataclass
class Walk:
    """What a walk found: pages seen, and every problem as 'url: what'."""

    pages: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")


def judge(page: Page, url: str, width: int, walk: Walk, axe: bool = True) -> None:
    """Check the page now shown against every rule a person would notice."""
    text = page.evaluate(VISIBLE_TEXT_JS)
    checks = ((SNAKE, "code"), (HASH_NUMBER, "#number"), (JSON_TEXT, "JSON"), (EMOJI, "emoji"))
    for rx, what in checks:
        found = rx.findall(text) if rx is not SNAKE else [m.group(0) for m in rx.finditer(text)]
        if found:
            walk.problems.append(
                f"{url}: {what} in visible text: {sorted(set(map(str, found)))[:5]}"
            )
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll > width + 1:
        wide = page.evaluate(
            """(w) => Array.from(document.querySelectorAll('body *'))
              .filter(e => e.getBoundingClientRect().right > w + 1)
              .slice(-3).map(e => e.tagName + '.' + e.className).join(', ')""",
            width,
        )
        walk.problems.append(f"{url}: page {scroll}px wide on a {width}px screen ({wide})")
    if axe:
        # Evaluated through the driver: the app's CSP (script-src 'self') stays in force.
        page.evaluate(AXE_SOURCE())
        for violation in page.evaluate(AXE_JS):
            walk.problems.append(f"{url}: axe {violation}")


def walk_from(page: Page, base_url: str, start: str, width: int, axe: bool = True) -> Walk:
    """Follow every same-site link from `start` (breadth first), judging each page once."""
    host = urlsplit(base_url).netloc
    walk = Walk()
    queue = [start]
    seen: set[str] = set()
    per_pattern: dict[str, int] = {}
    while queue and len(walk.pages) < MAX_PAGES:
        url = queue.pop(0)
        parts = urlsplit(url)
        key = parts.path + ("?" + parts.query if parts.query else "")
        if key in seen:
            continue
        seen.add(key)
        shape = pattern(parts.path)
        if per_pattern.get(shape, 0) >= PER_PATTERN:
            continue
        per_pattern[shape] = per_pattern.get(shape, 0) + 1
        began = time.monotonic()
        response = page.goto(url, wait_until="load")
        took = time.monotonic() - began
        walk.pages.append(key)
        if response is None or response.status >= 400:
            status = response.status if response else "no answer"
            walk.problems.append(f"{url}: answered {status} (linked from the walk)")
            continue
        if took > SLOW_SECONDS:
            walk.problems.append(f"{url}: took {took:.2f} s")
        walk.slowest = max(walk.slowest, (took, key))
        judge(page, url, width, walk, axe)
        for href in page.evaluate(LINKS_JS):
            target = urlsplit(href)
            if target.netloc != host or target.scheme not in ("http", "https"):
                continue
            if NOT_PAGES.search(target.path):
                continue
            queue.append(href.split("#")[0])
    return walk
