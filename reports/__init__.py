"""Donor reports: the results-framework annex (xlsx), the narrative (HTML, PDF), a manifest.

Pure rendering: callers (api/, workers/) gather each plan as it stood at the report's
instant and hand it over as ``PlanSnapshot``s; nothing here reads a database.
"""

from reports.bundle import BundleCheck, build_bundle, check_bundle, read_bundle
from reports.model import PlanPin, PlanSnapshot, ReportPeriod, ReportRequest, ReportScope

__all__ = [
    "BundleCheck",
    "PlanPin",
    "PlanSnapshot",
    "ReportPeriod",
    "ReportRequest",
    "ReportScope",
    "build_bundle",
    "check_bundle",
    "read_bundle",
]
