"""Find words people read that bypass the catalogs: English text written straight into a
template, or a sentence handed to a template from the page code without ``_()``.

The catalog check (``locales.maintain``) only sees what is marked for translation; a
sentence never marked is invisible to it, and reads in English on a French page. This
module looks at the unmarked text itself:

- in every dashboard template (Jinja's own parse tree, so ``{% trans %}`` and ``_()`` are
  recognised exactly): text between tags, the visible attributes (``title``, ``alt``,
  ``placeholder``, ``aria-label``), and string constants printed by ``{{ … }}`` or passed
  to a macro, outside a gettext call;
- in the page code (``api/web/*.py``): string constants given to ``render(…)`` or
  ``error_page(…)``, and the ``title``/``message`` of the error dictionaries pages show,
  outside ``_()``, ``N_()``, ``gettext_in()`` and friends.

A constant that looks like a code rather than a sentence (``"read"``, ``"invite_user"``,
``"/ui/plans"``, ``"plan.html"``) is not text; a sentence is what has a capital letter or a
space between words.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "api" / "templates"
PAGE_CODE = ROOT / "api" / "web"
GETTEXT_CALLS = frozenset(
    {"_", "gettext", "ngettext", "N_", "gettext_in", "ngettext_in", "translate", "error_view"}
)
# Only these attributes are read by people (or their screen readers).
VISIBLE_ATTRIBUTES = frozenset({"title", "alt", "placeholder", "aria-label"})
# Calls whose string arguments are shown as they are.
SHOWING_CALLS = frozenset({"render", "error_page"})
SHOWN_KEYS = frozenset({"title", "message", "notice"})
WORD = re.compile(r"[^\W\d_]{2,}")
# Brand and format names read the same in every language.
SAME_IN_EVERY_LANGUAGE = frozenset({"acip", "A-CIP"})
# Upper-case codes: file formats (XLSX), a country and plan id in an example (GHA-2026).
UPPER_CASE_CODE = re.compile(r"[A-Z0-9_.-]+")


def is_visible_text(text: str) -> bool:
    """Text written between tags: every word counts, but for names and codes."""
    stripped = text.strip(" \t\n·,;:()-")
    if not WORD.search(stripped) or stripped in SAME_IN_EVERY_LANGUAGE:
        return False
    return not UPPER_CASE_CODE.fullmatch(stripped)


def looks_like_a_sentence(text: str) -> bool:
    """A string constant that is text (a capital letter or two words), not a code or a
    path: ``"read"`` and ``"status-open"`` are codes, ``"no e-mail"`` is text."""
    stripped = text.strip()
    if not is_visible_text(stripped):
        return False
    if stripped.startswith(("/", "#", ".", "http")) or stripped.endswith((".html", ".css")):
        return False
    # A code: "read", "invite_user", "status-open".
    return not re.fullmatch(r"[a-z0-9_.:-]+", stripped)


class _VisibleText(HTMLParser):
    """The words a browser shows from a piece of HTML: text and visible attributes (an
    example in a ``placeholder`` only when it is a sentence; ``<code>`` is code)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_code += tag == "code"
        for name, value in attrs:
            shown = name in VISIBLE_ATTRIBUTES and value
            if shown and (name != "placeholder" or looks_like_a_sentence(str(value))):
                self.found.append(str(value))

    def handle_endtag(self, tag: str) -> None:
        self._in_code -= tag == "code" and self._in_code > 0

    def handle_data(self, data: str) -> None:
        if not self._in_code:
            self.found.append(data)


# Stands for whatever Jinja writes between two pieces of template text.
PLACEHOLDER = "\x00"


def _html_text(value: str) -> str:
    """A string as shown once it is HTML (``"<code>acip</code>"`` shows only code)."""
    parser = _VisibleText()
    parser.feed(value)
    parser.close()
    return " ".join(parser.found)


def _visible_words(template: nodes.Template) -> list[str]:
    """The template's own text as a browser would show it, with every ``{{ … }}``,
    ``{% trans %}`` and ``{% if %}`` replaced by a placeholder: what is left is the text
    written straight into the HTML."""
    parser = _VisibleText()
    parser.feed(PLACEHOLDER.join(data.data for data in template.find_all(nodes.TemplateData)))
    parser.close()
    pieces = (piece.strip() for text in parser.found for piece in text.split(PLACEHOLDER))
    return [piece for piece in pieces if WORD.search(piece)]


def _strings_outside_gettext(node: nodes.Node) -> Iterator[nodes.Const]:
    callee = node.node if isinstance(node, nodes.Call) else None
    if isinstance(callee, nodes.Name) and callee.name in GETTEXT_CALLS:
        return
    if isinstance(node, nodes.Compare | nodes.Getitem | nodes.Test):
        return  # compared or looked up: a code, not shown
    if isinstance(node, nodes.CondExpr):
        # The condition is not shown; its two outcomes are.
        for outcome in (node.expr1, node.expr2):
            if outcome is not None:
                yield from _strings_outside_gettext(outcome)
        return
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        yield node
        return
    for child in node.iter_child_nodes():
        yield from _strings_outside_gettext(child)


def template_problems(environment: Environment, folder: Path = TEMPLATES) -> Iterator[str]:
    for path in sorted(folder.glob("*.html")):
        tree = environment.parse(path.read_text(encoding="utf-8"), path.name, str(path))
        for words in _visible_words(tree):
            if is_visible_text(words):
                yield f"{path.name}: text outside _(): {words!r}"
        for output in tree.find_all(nodes.Output):
            for expression in output.nodes:
                if isinstance(expression, nodes.TemplateData):
                    continue
                for const in _strings_outside_gettext(expression):
                    if looks_like_a_sentence(_html_text(const.value)):
                        yield f"{path.name}:{const.lineno}: string outside _(): {const.value!r}"


def _is_gettext_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
    return name in GETTEXT_CALLS


def _bare_strings(node: ast.AST) -> Iterator[ast.Constant]:
    if _is_gettext_call(node):
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
        return
    if isinstance(node, ast.JoinedStr):
        yield from (v for v in node.values if isinstance(v, ast.Constant))
        return
    if isinstance(node, ast.Dict):
        # The keys are codes; the values are what is shown.
        for value in node.values:
            yield from _bare_strings(value)
        return
    for child in ast.iter_child_nodes(node):
        yield from _bare_strings(child)


def _shown_strings(tree: ast.AST) -> Iterator[ast.Constant]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if name in SHOWING_CALLS:
                for argument in [*node.args[1:], *(k.value for k in node.keywords)]:
                    yield from _bare_strings(argument)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in SHOWN_KEYS:
                    yield from _bare_strings(value)


def page_code_problems(folder: Path = PAGE_CODE) -> Iterator[str]:
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        seen: set[tuple[int, int]] = set()
        for const in _shown_strings(tree):
            place = (const.lineno, const.col_offset)
            if place not in seen and looks_like_a_sentence(str(const.value)):
                seen.add(place)
                yield f"{path.name}:{const.lineno}: shown without _(): {const.value!r}"


def problems(environment: Environment | None = None) -> list[str]:
    """Everything shown unmarked; parsing needs only the i18n extension, not the catalogs."""
    if environment is None:
        environment = Environment(extensions=["jinja2.ext.i18n"])
        # As api.web.render installs it: a trans block becomes one gettext call.
        environment.newstyle_gettext = True  # type: ignore[attr-defined]
    return [*template_problems(environment), *page_code_problems()]
