"""Re-extract the messages, update the English catalog and list what is still untranslated.

    .venv/bin/python scripts/update_translations.py            # extract + update + list
    .venv/bin/python scripts/update_translations.py --check    # exit 1 if anything is missing
    .venv/bin/python scripts/update_translations.py --compile  # also write the .mo files

The msgids are the Chinese strings (Chinese is the default locale, so it has no catalog).
Existing translations are kept; a msgid whose text changed comes back empty (no fuzzy
guesses: a guess from a similar Chinese string is more often wrong than right), and
msgids no longer in the code are dropped.
"""

from __future__ import annotations

import argparse
import io
import os
import sys

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(ROOT, "volunteer", "translations")
POT = os.path.join(TRANSLATIONS, "messages.pot")
LOCALES = ("en",)
# `_`, `gettext`, `ngettext`, `pgettext` and `N_` (service messages) are babel's defaults.
HEADER_COMMENT = (
    "# English catalog of the volunteer-hours platform: the msgids are the Chinese texts.\n"
    "# Update with scripts/update_translations.py; `make translations` compiles it."
)
KEYWORDS = ("_l", "lazy_gettext", "N_", "lazy_pgettext:1c,2")


def extract() -> None:
    """Write messages.pot from the code and templates (babel.cfg says which files)."""
    os.makedirs(TRANSLATIONS, exist_ok=True)
    args = ["pybabel", "-q", "extract", "-F", os.path.join(ROOT, "babel.cfg")]
    for keyword in KEYWORDS:
        args += ["-k", keyword]
    args += ["--add-location=file", "--sort-by-file", "-o", POT, "."]
    cwd = os.getcwd()
    os.chdir(ROOT)  # locations relative to the repository
    try:
        CommandLineInterface().run(args)
    finally:
        os.chdir(cwd)


def po_path(locale: str) -> str:
    """Return the path of a locale's catalog."""
    return os.path.join(TRANSLATIONS, locale, "LC_MESSAGES", "messages.po")


def update(locale: str) -> Catalog:
    """Merge the template into the locale's catalog (created if missing) and save it."""
    with open(POT, "rb") as f:
        template = read_po(f)
    path = po_path(locale)
    if os.path.exists(path):
        with open(path, "rb") as f:
            catalog = read_po(f, locale=locale)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        catalog = Catalog(locale=locale, project="volunteer", fuzzy=False)
    # A tidy header (babel's placeholders otherwise); no dates that change on every run.
    catalog.header_comment = HEADER_COMMENT
    catalog.version = "1"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "volunteer developers"
    catalog.language_team = "English"
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.fuzzy = False
    buffer = io.BytesIO()
    write_po(buffer, catalog, ignore_obsolete=True, include_lineno=False, width=0)
    with open(path, "wb") as f:
        f.write(buffer.getvalue())
    return catalog


def untranslated(catalog: Catalog) -> list[Message]:
    """Return the messages without a usable translation (empty or fuzzy)."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message)
    return missing


def compile_catalog(locale: str, catalog: Catalog) -> None:
    """Write the locale's .mo (fuzzy entries left out, as pybabel compile does)."""
    with open(po_path(locale)[:-3] + ".mo", "wb") as f:
        write_mo(f, catalog, use_fuzzy=False)


def main(argv: list[str] | None = None) -> int:
    """Extract, update every locale, report the untranslated msgids."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if anything is missing")
    parser.add_argument("--compile", action="store_true", help="also write the .mo files")
    parser.add_argument("--quiet", action="store_true", help="print the counts only")
    args = parser.parse_args(argv)
    extract()
    total_missing = 0
    for locale in LOCALES:
        catalog = update(locale)
        missing = untranslated(catalog)
        total_missing += len(missing)
        count = sum(1 for m in catalog if m.id)
        print(f"{locale}: {count} msgids, {len(missing)} untranslated ({po_path(locale)})")
        if not args.quiet:
            for message in missing:
                where = ", ".join(sorted({path for path, _line in message.locations}))
                context = f" (context {message.context!r})" if message.context else ""
                print(f"  {message.id!r}{context}  [{where}]")
        if args.compile:
            compile_catalog(locale, catalog)
    return 1 if args.check and total_missing else 0


if __name__ == "__main__":
    sys.exit(main())
