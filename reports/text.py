"""Every word a report prints, in one place, in the language of the person who issued it.

The language is on the manifest (``language``), so ``acip report verify`` renders the same
words again; a manifest without one (issued before reports were translated) is English.
Messages are marked with ``N_`` and translated with ``gettext_in`` where they are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain import BenchmarkStatus, KeyFactor, Phase
from locales.catalogs import N_, SOURCE_LANGUAGE, gettext_in
from locales.terms import key_factor_name, term
from reports.model import ReportRequest, ReportScope

SUMMARY_SHEET = N_("Summary")
COUNTED_STATUSES: tuple[BenchmarkStatus, ...] = (
    BenchmarkStatus.ACHIEVED,
    BenchmarkStatus.ON_TRACK,
    BenchmarkStatus.AT_RISK,
    BenchmarkStatus.OFF_TRACK,
    BenchmarkStatus.NO_DATA,
)
_COUNTED_HEADERS: dict[BenchmarkStatus, str] = {
    BenchmarkStatus.ACHIEVED: N_("Indicators achieved"),
    BenchmarkStatus.ON_TRACK: N_("Indicators on track"),
    BenchmarkStatus.AT_RISK: N_("Indicators at risk"),
    BenchmarkStatus.OFF_TRACK: N_("Indicators off track"),
    BenchmarkStatus.NO_DATA: N_("Indicators no data"),
}
SUMMARY_HEADERS: tuple[str, ...] = (
    N_("Plan"),
    N_("Country"),
    N_("Administration"),
    N_("Phase"),
    N_("Period start"),
    N_("Period end"),
    N_("Version"),
    N_("Indicators"),
    *(_COUNTED_HEADERS[s] for s in COUNTED_STATUSES),
    N_("Milestones due in period"),
    N_("Milestones completed in period"),
    N_("Milestones overdue"),
)
INDICATOR_HEADERS: tuple[str, ...] = (
    N_("Indicator"),
    N_("Key factor"),
    N_("Name"),
    N_("Unit"),
    N_("Baseline"),
    N_("Target"),
    N_("Original target"),
    N_("Target revised"),
    N_("Targets per period"),
    N_("Actual at period end"),
    N_("Measured on"),
    N_("Progress"),
    N_("Expected"),
    N_("Gap"),
    N_("Status"),
    N_("Comment"),
)
MILESTONE_HEADERS: tuple[str, ...] = (
    N_("Milestone"),
    N_("Key factor"),
    N_("Title"),
    N_("Due date"),
    N_("Original due date"),
    N_("Status"),
    N_("Percent"),
    N_("Completed on"),
    N_("Due in period"),
    N_("Completed in period"),
    N_("Overdue"),
    "",
    "",
    "",
    "",
    N_("Comment"),
)


def words(language: str, messages: Sequence[str]) -> list[str]:
    """Headers in ``language`` (an empty header stays empty: "" is the catalog's header)."""
    return [gettext_in(language, m) if m else "" for m in messages]


def sheet_name(language: str) -> str:
    return gettext_in(language, SUMMARY_SHEET)


# English reports keep the words they were first issued with (lower-case codes read as
# words), so a report issued before translation re-verifies byte for byte; every other
# language names key factors, phases and statuses as the dashboard does.
def status_word(status: BenchmarkStatus, language: str) -> str:
    if language == SOURCE_LANGUAGE:
        return status.value.replace("_", " ")
    return term(status.value, language)


def key_factor_label(key_factor: KeyFactor, language: str) -> str:
    if language == SOURCE_LANGUAGE:
        return key_factor.label
    return key_factor_name(key_factor.value, language)


def phase_label(phase: Phase, language: str) -> str:
    if language == SOURCE_LANGUAGE:
        return phase.label
    return term(phase.value, language)


def scope_label(scope: ReportScope, language: str) -> str:
    if scope.plan_id:
        return gettext_in(language, "plan {plan_id}").format(plan_id=scope.plan_id)
    if scope.donor:
        return gettext_in(language, "the plans funded by {donor}").format(donor=scope.donor)
    return gettext_in(language, "the whole programme")


def report_title(request: ReportRequest) -> str:
    language = request.language
    return gettext_in(language, "A-CIP results framework: {scope}, {start} to {end}").format(
        scope=scope_label(request.scope, language),
        start=request.period.start.isoformat(),
        end=request.period.end.isoformat(),
    )


def as_of_line(request: ReportRequest) -> str:
    return gettext_in(request.language, "As recorded at {instant} (UTC)").format(
        instant=request.as_of.isoformat()
    )


def yes_no(value: bool, language: str) -> str:
    return gettext_in(language, "yes") if value else gettext_in(language, "no")


def period_targets_line(targets: Sequence[tuple[date, float]]) -> str:
    return "; ".join(f"{due.isoformat()}: {target:g}" for due, target in targets)
