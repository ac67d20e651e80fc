"""First-paint styles taken from the site's stylesheet, so that a page can inline the few
rules it needs without a hand-kept copy that drifts from `app.css`."""

from __future__ import annotations

from collections.abc import Iterable

import tinycss2


def _selector(rule) -> str:  # type: ignore[no-untyped-def]
    return " ".join(tinycss2.serialize(rule.prelude).split())


def _kept(rules: list, wanted: set[str], found: set[str]) -> list[str]:
    out: list[str] = []
    for rule in rules:
        if rule.type == "qualified-rule" and _selector(rule) in wanted:
            found.add(_selector(rule))
            out.append(rule.serialize().strip())
        elif rule.type == "at-rule" and rule.lower_at_keyword == "media" and rule.content:
            inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
            kept = _kept(inner, wanted, found)
            if kept:
                media = " ".join(tinycss2.serialize(rule.prelude).split())
                out.append("@media " + media + " {\n" + "\n".join(kept) + "\n}")
    return out


def extract(css: str, selectors: Iterable[str]) -> str:
    """Return the rules of `css` (also inside @media) whose selector list is one of
    `selectors`, in their order; raise ValueError naming any selector not found."""
    wanted = {" ".join(s.split()) for s in selectors}
    found: set[str] = set()
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    text = "\n".join(_kept(rules, wanted, found)) + "\n"
    missing = sorted(wanted - found)
    if missing:
        raise ValueError(f"not in the stylesheet: {missing}")
    return text
