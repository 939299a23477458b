"""Dashboard: issued reports with their verification status, and issuing one (a download)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.context import ApiContext
from api.errors import ApiError
from api.report_checks import reports_with_checks, verify_now
from api.reporting import issued_record
from api.routes_reports import (
    READ_ROLES,
    IssueReportBody,
    ReportId,
    issue_for,
    report_language,
    zip_response,
)
from api.web.notices import error_page
from api.web.render import render
from api.web.session import current_session, form_session

router = APIRouter(include_in_schema=False)
FORM_FIELDS = ("scope", "plan_id", "donor", "period_start", "period_end")


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


@router.get("/ui/reports", response_class=HTMLResponse)
async def reports_page(request: Request) -> HTMLResponse:
    session = await current_session(request)
    if session.actor.role not in READ_ROLES:
        error = ApiError(403, "forbidden", "Only programme managers and auditors read reports.")
        return error_page(request, session, error)
    context = _context(request)
    found = await reports_with_checks(context.pool, context.store)
    rows = [{"record": record, "check": check} for record, check in found]
    year = datetime.now(UTC).year
    return render(
        request,
        "reports.html",
        session=session,
        nav="reports",
        reports=rows,
        default_start=date(year, 1, 1).isoformat(),
        default_end=date(year, 12, 31).isoformat(),
    )


@router.post("/ui/reports")
async def issue_from_dashboard(request: Request) -> Response:
    """The form's fields as the API's body; the answer is the .zip itself (a download)."""
    session, data = await form_session(request)
    fields = {k: data[k].strip() for k in FORM_FIELDS if data.get(k, "").strip()}
    try:
        body = IssueReportBody.model_validate(fields)
    except ValidationError as invalid:
        problems = "; ".join(str(e["msg"]) for e in invalid.errors())
        return error_page(request, session, ApiError(422, "invalid", problems))
    try:
        issued = await issue_for(_context(request), session.actor, body, report_language(request))
    except ApiError as error:
        return error_page(request, session, error)
    return zip_response(issued)


@router.post("/ui/reports/{report_id}/verify")
async def verify_from_dashboard(request: Request, report_id: ReportId) -> Response:
    """Recompute one report from the record now (the button on its row), then the list."""
    session, _ = await form_session(request)
    if session.actor.role not in READ_ROLES:
        error = ApiError(403, "forbidden", "Only programme managers and auditors read reports.")
        return error_page(request, session, error)
    context = _context(request)
    record = await issued_record(context.store, report_id)
    if record is None:
        missing = ApiError(404, "not_found", f"There is no report {report_id}.", rule="not_found")
        return error_page(request, session, missing)
    await verify_now(context.pool, context.store, record)
    return RedirectResponse("/ui/reports", status_code=303)
