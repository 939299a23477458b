"""Every word a report prints, in one place, so the languages issue can translate them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain import BenchmarkStatus
from reports.model import ReportRequest

SUMMARY_SHEET = "Summary"
COUNTED_STATUSES: tuple[BenchmarkStatus, ...] = (
    BenchmarkStatus.ACHIEVED,
    BenchmarkStatus.ON_TRACK,
    BenchmarkStatus.AT_RISK,
    BenchmarkStatus.OFF_TRACK,
    BenchmarkStatus.NO_DATA,
)
SUMMARY_HEADERS: tuple[str, ...] = (
    "Plan",
    "Country",
    "Administration",
    "Phase",
    "Period start",
    "Period end",
    "Version",
    "Indicators",
    *(f"Indicators {s.value.replace('_', ' ')}" for s in COUNTED_STATUSES),
    "Milestones due in period",
    "Milestones completed in period",
    "Milestones overdue",
)
INDICATOR_HEADERS: tuple[str, ...] = (
    "Indicator",
    "Key factor",
    "Name",
    "Unit",
    "Baseline",
    "Target",
    "Original target",
    "Target revised",
    "Targets per period",
    "Actual at period end",
    "Measured on",
    "Progress",
    "Expected",
    "Gap",
    "Status",
    "Comment",
)
MILESTONE_HEADERS: tuple[str, ...] = (
    "Milestone",
    "Key factor",
    "Title",
    "Due date",
    "Original due date",
    "Status",
    "Percent",
    "Completed on",
    "Due in period",
    "Completed in period",
    "Overdue",
    "",
    "",
    "",
    "",
    "Comment",
)
STATUS_WORDS: dict[BenchmarkStatus, str] = {
    BenchmarkStatus.ACHIEVED: "achieved",
    BenchmarkStatus.ON_TRACK: "on track",
    BenchmarkStatus.AT_RISK: "at risk",
    BenchmarkStatus.OFF_TRACK: "off track",
    BenchmarkStatus.NO_DATA: "no data",
    BenchmarkStatus.NOT_COVERED: "not covered",
}


def report_title(request: ReportRequest) -> str:
    return (
        f"A-CIP results framework: {request.scope.label}, "
        f"{request.period.start.isoformat()} to {request.period.end.isoformat()}"
    )


def as_of_line(request: ReportRequest) -> str:
    return f"As recorded at {request.as_of.isoformat()} (UTC)"


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def period_targets_line(targets: Sequence[tuple[date, float]]) -> str:
    return "; ".join(f"{due.isoformat()}: {target:g}" for due, target in targets)
