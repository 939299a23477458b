"""Keep the catalogs in step with the code: Babel's extract, update and compile, and the
check that ``make test`` runs.

    python -m locales.maintain update   # make messages: messages.pot, every .po, every .mo
    python -m locales.maintain check    # exit 1 and list what is wrong

One definition of what is extracted (sources, keywords, the Jinja mapping) serves both, so
the check cannot drift from the update. The check fails on: text shown on a page but never
marked for translation (``locales.untranslated``), a message in the code that a
catalog lacks or leaves untranslated in a complete language, a message a catalog still
carries that the code no longer uses, a fuzzy (unreviewed) translation, a translation whose
``{places}`` or ``%(places)s`` differ from the English, and a ``.mo`` that is not the
compiled form of its ``.po``.
"""

from __future__ import annotations

import copy
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from locales import untranslated
from locales.catalogs import COMPLETE_LANGUAGES, DOMAIN, LANGUAGES, LOCALES_DIR, SOURCE_LANGUAGE

ROOT = LOCALES_DIR.parent
# Where people read words: the dashboard and API (api/), e-mails (activities/), the
# vocabulary and refusals (locales/), the audit trail's sentences (domain/describe.py) and
# the donor reports (reports/).
SOURCES: tuple[str, ...] = ("api", "activities", "locales", "domain", "reports")
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "N_": None,
    "gettext_in": (2,),
    "ngettext_in": (2, 3),
    "Sentence": (1,),
    "translate": (2,),
}
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS_MAP = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
# Only these domain modules write what people read; the rest of domain/ is code.
DOMAIN_MODULES = frozenset({"describe.py"})
PLACE = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every message the code uses, as a fresh template."""
    template = Catalog(project="acip", copyright_holder="World Customs Organization")
    for source in SOURCES:
        folder = ROOT / source
        for filename, lineno, message, comments, context in extract_from_dir(
            folder,
            METHOD_MAP,
            OPTIONS_MAP,
            KEYWORDS,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        ):
            if source == "domain" and Path(filename).name not in DOMAIN_MODULES:
                continue
            template.add(
                message, None, [(f"{source}/{filename}", lineno)], auto_comments=comments,
                context=context,
            )  # fmt: skip
    return template


def _read(path: Path, language: str) -> Catalog:
    if not path.exists():
        return Catalog(
            locale=language,
            domain=DOMAIN,
            project="acip",
            copyright_holder="World Customs Organization",
        )
    with path.open("rb") as file:
        return read_po(file, locale=language)


def _write_po(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    # No file locations: a line moving in the code then changes no catalog, and two
    # branches adding strings conflict only where they add them.
    write_po(buffer, catalog, width=100, no_location=True, omit_header=False, sort_output=True)
    path.write_bytes(buffer.getvalue())


def _compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def update() -> None:
    template = extract()
    _write_po(template, LOCALES_DIR / f"{DOMAIN}.pot")
    for language in LANGUAGES:
        catalog = _read(po_path(language), language)
        # A copy each: update() adopts the template's messages, and English fills them in.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if language == SOURCE_LANGUAGE:
            # English is the source: its catalog starts as the message ids themselves, so
            # an editor can reword the English without touching code.
            for message in catalog:
                if message.id and not any(_strings(message)):
                    message.string = message.id
        _write_po(catalog, po_path(language))
        # Compiled from the file as written, exactly as the check will read it.
        written = _read(po_path(language), language)
        po_path(language).with_suffix(".mo").write_bytes(_compiled(written))


def _ids(catalog: Catalog) -> set[object]:
    return {message.id for message in catalog if message.id}


def _strings(message: Message) -> list[str]:
    value = message.string
    if isinstance(value, tuple | list):
        return [s for s in value if isinstance(s, str)]
    return [value] if isinstance(value, str) else []


def _places(text: str) -> set[str]:
    return set(PLACE.findall(text))


def _ids_text(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else str(message.id)


def problems() -> Iterator[str]:
    wanted = _ids(extract())
    for language in LANGUAGES:
        path = po_path(language)
        if not path.exists():
            yield f"{language}: no catalog at {path.relative_to(ROOT)}; run make messages"
            continue
        catalog = _read(path, language)
        have = _ids(catalog)
        for missing in sorted(map(str, wanted - have)):
            yield f"{language}: not in the catalog (run make messages): {missing!r}"
        for unused in sorted(map(str, have - wanted)):
            yield f"{language}: no longer used by the code (run make messages): {unused!r}"
        for message in catalog:
            if not message.id:
                continue
            english = _ids_text(message)
            strings = [s for s in _strings(message) if s]
            if message.fuzzy:
                yield f"{language}: fuzzy, to be reviewed: {english!r}"
            if not strings and language in COMPLETE_LANGUAGES:
                yield f"{language}: untranslated: {english!r}"
            for text in strings:
                if _places(text) != _places(english):
                    yield f"{language}: places differ from the English in {english!r}"
        compiled = path.with_suffix(".mo")
        if not compiled.exists() or compiled.read_bytes() != _compiled(catalog):
            yield f"{language}: {compiled.name} is not the compiled catalog; run make messages"
    # Text never marked for translation is invisible to the comparison above.
    for unmarked in untranslated.problems():
        yield f"not marked for translation (wrap it in _()): {unmarked}"


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
        found = list(problems())
        for problem in found:
            print(problem)
        return 0
    if command == "check":
        found = list(problems())
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
