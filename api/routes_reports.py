"""Donor reports: issue one (a programme manager), list them with their verification
status, and read one's manifest (docs/reporting.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.bounds import PLAN_ID_PATTERN
from api.context import ApiContext, get_actor, get_context
from api.errors import ApiError, ErrorBody
from api.language import request_language
from api.report_checks import reports_with_checks, stored_checks, verify_after_issue, verify_now
from api.reporting import (
    IssuedReport,
    NothingToReportError,
    issue_report,
    issued_record,
    pin_plans,
)
from api.reporting import report_id_for as new_report_id
from api.scope import require_visible
from domain import Actor, Role
from domain.commands import DONOR_PATTERN
from eventstore import ConcurrencyError, DuplicateEventError
from locales.catalogs import SOURCE_LANGUAGE, is_complete
from reports import ReportPeriod, ReportRequest, ReportScope
from reports.model import ScopeKind

router = APIRouter(tags=["reports"])

READ_ROLES = frozenset({Role.PROGRAMME_MANAGER, Role.AUDITOR})
# A report covers at most one plan period's worth of years and more: 20 years.
MAX_PERIOD = timedelta(days=366 * 20)
ReportId = Annotated[str, Path(pattern="^[0-9a-f]{16}$", description="e.g. 3f2a9c0d1e4b5a67")]


class IssueReportBody(BaseModel):
    """What a report covers: one plan or the whole programme, over a period of dates."""

    model_config = ConfigDict(extra="forbid")

    scope: Literal["plan", "donor", "programme"]
    plan_id: str | None = Field(default=None, pattern=PLAN_ID_PATTERN, max_length=8)
    donor: str | None = Field(default=None, pattern=DONOR_PATTERN, max_length=32)
    period_start: date = Field(ge=date(1970, 1, 1), le=date(9998, 12, 31))
    period_end: date = Field(ge=date(1970, 1, 1), le=date(9998, 12, 31))
    command_id: UUID | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.scope == "plan") != (self.plan_id is not None):
            raise ValueError("scope 'plan' needs plan_id; other scopes take none")
        if (self.scope == "donor") != (self.donor is not None):
            raise ValueError("scope 'donor' needs donor; other scopes take none")
        if self.period_end < self.period_start:
            raise ValueError("period_end must be on or after period_start")
        if self.period_end - self.period_start > MAX_PERIOD:
            raise ValueError("a report period is at most 20 years")
        return self


class ReportCheck(BaseModel):
    ok: bool
    problems: list[str]
    differing_files: list[str]
    verified_at: datetime = Field(description="When the report was last recomputed")


class IssuedReportView(BaseModel):
    report_id: str
    scope: dict[str, Any]
    period: dict[str, Any]
    as_of: str
    issued_at: datetime
    manifest_sha256: str
    plans: int
    files: list[dict[str, Any]]
    verification: ReportCheck | None = None


class IssuedReportList(BaseModel):
    reports: list[IssuedReportView]


class IssuedReportDetail(IssuedReportView):
    manifest: dict[str, Any]


def _require_reader(actor: Actor) -> None:
    if actor.role not in READ_ROLES:
        raise ApiError(
            403, "forbidden", "Only programme managers and auditors read issued reports.",
            rule="not_permitted",
        )  # fmt: skip


@router.post(
    "/reports",
    summary="Issue a donor report: the .zip (annex, narrative, manifest), recorded on the record",
    response_class=Response,
    responses={
        200: {
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The report's .zip",
        },
        403: {"model": ErrorBody, "description": "Programme managers only"},
        404: {"model": ErrorBody, "description": "No such plan, or none as of the period"},
        409: {"model": ErrorBody, "description": "This command_id already issued a report"},
        422: {"model": ErrorBody, "description": "Bad scope or period"},
    },
)
async def issue(
    body: IssueReportBody,
    request: Request,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> Response:
    return zip_response(await issue_for(context, actor, body, report_language(request)))


def report_language(request: Request) -> str:
    """The issuing person's language when it is complete; a report is never half English."""
    language = request_language(request)
    return language if is_complete(language) else SOURCE_LANGUAGE


async def issue_for(
    context: ApiContext, actor: Actor, body: IssueReportBody, language: str = SOURCE_LANGUAGE
) -> IssuedReport:
    """Issue the report ``body`` asks for (the API and the dashboard both come here), written
    in ``language`` (recorded on the manifest, so verification renders the same words)."""
    if actor.role is not Role.PROGRAMME_MANAGER:
        raise ApiError(
            403, "forbidden", "Only programme managers issue reports.", rule="not_permitted"
        )
    if body.plan_id is not None:
        require_visible(actor, body.plan_id)
    now = datetime.now(UTC)
    period = ReportPeriod(start=body.period_start, end=body.period_end)
    if datetime.combine(period.start, datetime.min.time(), tzinfo=UTC) > now:
        raise ApiError(422, "invalid_period", "The period has not started yet.", rule="period")
    # A period that has not ended yet is reported as of now.
    as_of = min(period.closing_instant(), now)
    pins = await pin_plans(context.pool, context.store, as_of, body.plan_id)
    if not pins.plans:
        raise ApiError(
            404, "not_found", f"No plan was on the record by {as_of.isoformat()}.",
            rule="plan_not_found",
        )  # fmt: skip
    request = ReportRequest(
        report_id=new_report_id(body.command_id),
        scope=ReportScope(kind=ScopeKind(body.scope), plan_id=body.plan_id, donor=body.donor),
        period=period,
        as_of=as_of,
        language=language,
    )
    try:
        issued = await issue_report(context.pool, context.store, request, pins, actor)
    except NothingToReportError as nothing:
        raise ApiError(404, "not_found", f"{nothing}.", rule="plan_not_found") from nothing
    except (DuplicateEventError, ConcurrencyError) as repeat:
        raise ApiError(
            409, "already_issued", f"Report {request.report_id} was already issued.",
            rule="report_already_issued",
        ) from repeat  # fmt: skip
    record = {
        "report_id": issued.report_id,
        "manifest": issued.manifest,
        "manifest_sha256": issued.manifest_sha256,
    }
    verify_after_issue(context.pool, context.store, record)
    return issued


def zip_response(issued: IssuedReport) -> Response:
    headers = {
        "Content-Disposition": f'attachment; filename="acip-report-{issued.report_id}.zip"',
        "X-Report-Id": issued.report_id,
        "X-Manifest-SHA256": issued.manifest_sha256,
    }
    if issued.pdf_note:
        headers["X-Report-Note"] = issued.pdf_note
    return Response(issued.bundle, media_type="application/zip", headers=headers)


def _view(record: dict[str, Any]) -> dict[str, Any]:
    manifest = record["manifest"]
    return {
        "report_id": record["report_id"],
        "scope": manifest["scope"],
        "period": manifest["period"],
        "as_of": manifest["as_of"],
        "issued_at": record["recorded_at"],
        "manifest_sha256": record["manifest_sha256"],
        "plans": len(manifest["plans"]),
        "files": manifest["files"],
    }


@router.get(
    "/reports",
    summary="Issued reports, newest first, each with its last verification",
    responses={403: {"model": ErrorBody, "description": "Programme managers and auditors"}},
)
async def list_reports(
    verify: bool = Query(False, description="Recompute every report from the record now"),
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> IssuedReportList:
    _require_reader(actor)
    found = await reports_with_checks(context.pool, context.store, reverify=verify)
    return IssuedReportList(
        reports=[
            IssuedReportView(**_view(record), verification=ReportCheck(**check.as_json()))
            for record, check in found
        ]
    )


async def _detail(context: ApiContext, report_id: str, *, reverify: bool) -> IssuedReportDetail:
    record = await issued_record(context.store, report_id)
    if record is None:
        raise ApiError(404, "not_found", f"There is no report {report_id}.", rule="not_found")
    check = None if reverify else (await stored_checks(context.pool)).get(report_id)
    if check is None:
        check = await verify_now(context.pool, context.store, record)
    return IssuedReportDetail(
        **_view(record),
        manifest=record["manifest"],
        verification=ReportCheck(**check.as_json()),
    )


REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "Programme managers and auditors"},
    404: {"model": ErrorBody, "description": "No such report"},
}


@router.get(
    "/reports/{report_id}",
    summary="One issued report: its manifest as recorded, and its last verification",
    responses=REPORT_RESPONSES,
)
async def get_report(
    report_id: ReportId,
    verify: bool = Query(False, description="Recompute the report from the record now"),
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> IssuedReportDetail:
    _require_reader(actor)
    return await _detail(context, report_id, reverify=verify)


@router.post(
    "/reports/{report_id}/verify",
    summary="Recompute one issued report from the record now, and keep the result",
    responses=REPORT_RESPONSES,
)
async def verify_report(
    report_id: ReportId,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> IssuedReportDetail:
    _require_reader(actor)
    return await _detail(context, report_id, reverify=True)
