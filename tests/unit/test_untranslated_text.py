"""Text shown on a page but never marked for translation is found, in the templates and in
the page code; marked text, codes, paths and what people wrote are not."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment

from api.web.render import templates
from locales import untranslated


def test_no_template_or_page_shows_unmarked_text() -> None:
    """Also run by `make check-messages` (locales.maintain.check)."""
    found = untranslated.problems(templates.env)
    assert found == [], "\n".join(found) + "\n(wrap them in _() or {% trans %}, make messages)"


def _problems_of(tmp_path: Path, source: str) -> list[str]:
    (tmp_path / "page.html").write_text(source, encoding="utf-8")
    return list(untranslated.template_problems(templates.env, tmp_path))


def test_text_between_tags_and_in_visible_attributes_is_found(tmp_path: Path) -> None:
    found = _problems_of(
        tmp_path,
        "{% block title %}Account ready{% endblock %}<p>Key: <code>{{ key }}</code></p>"
        '<button aria-label="Close the panel">&times;</button>'
        "{% if t.revoked_at %}revoked{% endif %}"
        '<td>{{ p.email or "no e-mail" }}</td>',
    )
    assert [line.split(": ", 2)[-1] for line in found] == [
        "'Account ready'",
        "'Key:'",
        "'Close the panel'",
        "'revoked'",
        "'no e-mail'",
    ]


def test_marked_text_codes_and_what_people_wrote_are_not(tmp_path: Path) -> None:
    found = _problems_of(
        tmp_path,
        '{% block title %}{{ _("Account ready") }}{% endblock %}'
        "<p>{% trans n=3 %}{{ n }} plans{% endtrans %} · acip</p>"
        '<input placeholder="sen.focal" name="name">'
        '<a href="/exports?format=xlsx">XLSX</a> <code>security-2026-12-01</code>'
        '<td class="{{ "row-overdue" if late else "" }}">{{ plan.title }}</td>'
        '{% if role == "programme_manager" %}{{ "open" | label }}{% endif %}',
    )
    assert found == []


def test_a_sentence_handed_to_a_page_without_gettext_is_found(tmp_path: Path) -> None:
    (tmp_path / "pages.py").write_text(
        "def page(request):\n"
        '    notice = translate(request, N_("The plan is open."))\n'
        '    error = {"title": "Check the form", "rule": "bad_date", "message": msg}\n'
        '    return render(request, "plan.html", notice="Done.", nav="plans", error=error)\n',
        encoding="utf-8",
    )
    found = list(untranslated.page_code_problems(tmp_path))
    assert found == [
        "pages.py:3: shown without _(): 'Check the form'",
        "pages.py:4: shown without _(): 'Done.'",
    ]


def test_the_check_needs_no_catalog_to_parse() -> None:
    """`make check-messages` runs it with a bare environment (locales/ imports no api/)."""
    assert untranslated.problems(Environment(extensions=["jinja2.ext.i18n"])) == []
