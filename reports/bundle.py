"""The report's .zip: annex, narrative (HTML, PDF when printed), and a manifest pinning them.

``manifest.json`` names the instant, each plan's version and head hash (the chain heads),
the latest signed checkpoint at issue when there is one, and the SHA-256 of every file. Its
own SHA-256 is what ``report_issued`` puts on the record.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import rfc8785

from reports.annex import build_annex, build_annex_xml
from reports.model import PlanPin, PlanSnapshot, ReportRequest, ScopeKind
from reports.narrative import build_narrative
from reports.xlsx import ZIP_EPOCH

# The manifest's format names the generator of its files, so a report is always verified
# with the one that wrote it. 1: a section and a chart per plan in every narrative. 2: a
# programme's or a donor's narrative is a summary (reports.narrative.SUMMARY_TEMPLATE).
# 3: the annex's XML written directly (reports.xlsx: same sheets and cells, ~10x faster
# than openpyxl) and the programme narrative (reports.narrative.PROGRAMME_TEMPLATE: by
# region, by country, the plans as coloured cells). docs/reporting.md has why.
FORMAT_V1 = "acip-report/1"
FORMAT_V2 = "acip-report/2"
FORMAT = "acip-report/3"
FORMATS = (FORMAT_V1, FORMAT_V2, FORMAT)
MANIFEST = "manifest.json"
ANNEX = "annex.xlsx"
NARRATIVE_HTML = "narrative.html"
NARRATIVE_PDF = "narrative.pdf"
# Files recomputed from the record on verification; the PDF is checked through its HTML.
REPRODUCIBLE = (ANNEX, NARRATIVE_HTML)


class BundleUnreadableError(ValueError):
    """Not a report .zip: not a zip, or no readable manifest."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def summary_narrative(request: ReportRequest, format: str) -> bool:
    """Whether this report's narrative is a summary form (format 2 on, beyond one plan)."""
    return format != FORMAT_V1 and request.scope.kind is not ScopeKind.PLAN


def render_annex(
    request: ReportRequest, snapshots: Sequence[PlanSnapshot], format: str = FORMAT
) -> bytes:
    """The annex with the generator of ``format``: openpyxl for formats 1 and 2."""
    if format in (FORMAT_V1, FORMAT_V2):
        return build_annex(request, snapshots)
    return build_annex_xml(request, snapshots)


def render_narrative(
    request: ReportRequest, snapshots: Sequence[PlanSnapshot], format: str = FORMAT
) -> bytes:
    summary = summary_narrative(request, format)
    return build_narrative(
        request, snapshots, summary=summary, programme=summary and format == FORMAT
    )


def render_files(
    request: ReportRequest, snapshots: Sequence[PlanSnapshot], format: str = FORMAT
) -> dict[str, bytes]:
    """The files a verification recomputes: same snapshots and format, same bytes."""
    return {
        ANNEX: render_annex(request, snapshots, format),
        NARRATIVE_HTML: render_narrative(request, snapshots, format),
    }


def build_manifest(
    request: ReportRequest,
    pins: Sequence[PlanPin],
    files: Mapping[str, bytes],
    checkpoint: Mapping[str, Any] | None,
    format: str = FORMAT,
) -> dict[str, Any]:
    return {
        "format": format,
        "report_id": request.report_id,
        "scope": request.scope.model_dump(mode="json"),
        "period": request.period.model_dump(mode="json"),
        "as_of": request.as_of.isoformat(),
        "language": request.language,
        "plans": [pin.model_dump(mode="json") for pin in sorted(pins, key=lambda p: p.plan_id)],
        "checkpoint": None if checkpoint is None else dict(checkpoint),
        "files": [
            {
                "name": name,
                "sha256": sha256_hex(files[name]),
                "verified_by": "recomputed" if name in REPRODUCIBLE else "issued digest",
            }
            for name in sorted(files)
        ],
    }


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """Canonical JSON (RFC 8785), so the digest on the record names exactly one text."""
    return bytes(rfc8785.dumps(dict(manifest)))


# Members already compressed (an xlsx is a zip; Chromium's PDF deflates its streams) are
# stored, not deflated again: measured in docs/performance.md ("Donor reports").
STORED = frozenset({ANNEX, NARRATIVE_PDF})


def build_bundle(manifest: Mapping[str, Any], files: Mapping[str, bytes]) -> bytes:
    """The .zip; members sorted and stamped with a fixed time, so it is reproducible."""
    members = {**files, MANIFEST: manifest_bytes(manifest)}
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED if name in STORED else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name])
    return output.getvalue()


@dataclass(frozen=True)
class OpenedBundle:
    manifest: dict[str, Any]
    manifest_sha256: str
    files: dict[str, bytes]


def read_bundle(data: bytes) -> OpenedBundle:
    import json

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise BundleUnreadableError(f"not a zip file: {error}") from error
    raw = members.pop(MANIFEST, None)
    if raw is None:
        raise BundleUnreadableError(f"the zip has no {MANIFEST}")
    try:
        manifest = json.loads(raw)
    except ValueError as error:
        raise BundleUnreadableError(f"{MANIFEST} is not JSON: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") not in FORMATS:
        raise BundleUnreadableError(f"{MANIFEST} is not an {' or '.join(FORMATS)} manifest")
    return OpenedBundle(manifest=manifest, manifest_sha256=sha256_hex(raw), files=members)


@dataclass
class BundleCheck:
    """What differs; empty lists mean the files are exactly what the record gives."""

    problems: list[str] = field(default_factory=list)
    differing_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def differs(self, name: str, problem: str) -> None:
        if name not in self.differing_files:
            self.differing_files.append(name)
        self.problems.append(problem)


def check_bundle(
    bundle: OpenedBundle, recomputed: Mapping[str, bytes], issued_sha256: str
) -> BundleCheck:
    """The bundle against the record: the manifest is the one issued, every file has the
    digest the manifest gives, and every reproducible file equals its recomputation."""
    check = BundleCheck()
    if bundle.manifest_sha256 != issued_sha256:
        check.differs(MANIFEST, f"{MANIFEST} is not the manifest issued on the record")
    listed = {entry["name"]: entry["sha256"] for entry in bundle.manifest.get("files", [])}
    for name in sorted(set(bundle.files) - set(listed)):
        check.differs(name, f"{name} is in the zip but not in the manifest")
    for name, digest in sorted(listed.items()):
        content = bundle.files.get(name)
        if content is None:
            check.differs(name, f"{name} is listed in the manifest but missing from the zip")
        elif sha256_hex(content) != digest:
            check.differs(name, f"{name} is not the file issued (its SHA-256 differs)")
    for name, content in sorted(recomputed.items()):
        if name in listed and sha256_hex(content) != listed[name]:
            check.differs(name, f"{name} differs from what the record gives as of the instant")
    return check
