"""Dashboard: issued reports with their verification status, and issuing one (a download)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.context import ApiContext
from api.errors import ApiError
from api.reporting import issued_reports, recheck_issued
from api.routes_reports import (
    READ_ROLES,
    IssueReportBody,
    issue_for,
    report_language,
    zip_response,
)
from api.web.pages import error_page
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
    store = _context(request).store
    rows = []
    for record in await issued_reports(store):
        rows.append({"record": record, "check": await recheck_issued(store, record)})
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
