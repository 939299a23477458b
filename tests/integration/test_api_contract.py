"""The API as a contract (issue 18): typed answers in the OpenAPI document, conditional
reads (ETag, 304), compression, Link pagination, the version and its deprecation headers,
and the event feed's scope and resumption. Runs on a real stack (api_harness)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import uvicorn
from fastapi import APIRouter

from api.app import create_app, openapi_document
from api.versioning import API_VERSION, Deprecation, deprecated
from domain import BenchmarkStatus, KeyFactor, Phase, Role
from tests.support.api_stack import API_YEAR, Stack, api_plan, home_and_away, stack_fixture
from tests.support.ids import unique_country
from tests.support.polling import eventually

HOME = unique_country(year=API_YEAR)  # in implementation
AWAY = unique_country(year=API_YEAR)  # under review


async def prepared(stack: Stack) -> None:
    await stack.add_users("manager", "auditor")
    await stack.add_users("home.observer", country=HOME)
    home, _ = await home_and_away(stack, HOME, AWAY)
    # A refused attempt on the record: the focal point may not reschedule.
    refused = await home.send(
        home.focal, type="reschedule_milestone", milestone_id="M1",
        new_due_date="2026-06-30", reason="Later",
    )  # fmt: skip
    assert refused.status_code == 403, refused.text
    await timers_caught_up(stack, f"{HOME}-{API_YEAR}")


stack = stack_fixture(prepared)


async def timers_caught_up(stack: Stack, plan_id: str) -> None:
    """M1 was due 2026-03-31: once the plan is approved its workflow raises the overdue
    milestone, reminder and escalation at once. Wait for them, so the plan holds still."""

    async def escalated() -> bool:
        await stack.settle()
        async with stack.http("manager") as http:
            milestones = (await http.get(f"/plans/{plan_id}/milestones")).json()
        return bool(milestones["milestones"][0]["escalated"])

    await eventually(escalated, what="M1 escalated", within=30)
    await stack.settle()


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def is_typed(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """An object with declared properties, or a union of such; never a bare ``object``."""
    schema = resolve(document, schema)
    union = schema.get("anyOf") or schema.get("oneOf")
    if union:
        return all(is_typed(document, member) for member in union)
    if schema.get("type") == "array":
        return is_typed(document, schema.get("items", {}))
    return bool(schema.get("properties"))


def is_file(answer: dict[str, Any]) -> bool:
    """A download (a report's .zip, a list as CSV or XLSX): only non-JSON media types, each
    declared as binary, so a client knows it gets bytes and of which type."""
    content = answer.get("content", {})
    return bool(content) and all(
        media != "application/json" and body.get("schema") == BINARY
        for media, body in content.items()
    )


BINARY = {"type": "string", "format": "binary"}


def test_every_operation_declares_a_typed_success_and_its_error_bodies() -> None:
    document = openapi_document()
    bare: list[str] = []
    untyped_errors: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                content = answer.get("content", {}).get("application/json")
                no_content = status == "204" or is_file(answer)
                if (
                    status.startswith("2")
                    and not no_content
                    and (content is None or not is_typed(document, content["schema"]))
                ):
                    bare.append(f"{method.upper()} {path} {status}")
                if status[0] in "45" and path != "/healthz":
                    schema = resolve(document, (content or {}).get("schema", {}))
                    if "error" not in schema.get("properties", {}):
                        untyped_errors.append(f"{method.upper()} {path} {status}")
    assert bare == []
    assert untyped_errors == []
    assert document["info"]["version"] == API_VERSION


def test_phases_statuses_roles_and_key_factors_are_enums_in_the_schema() -> None:
    schemas = openapi_document()["components"]["schemas"]
    assert set(schemas["Phase"]["enum"]) == {p.value for p in Phase}
    assert set(schemas["BenchmarkStatus"]["enum"]) == {s.value for s in BenchmarkStatus}
    assert set(schemas["Role"]["enum"]) == {r.value for r in Role}
    assert set(schemas["KeyFactor"]["enum"]) == {k.value for k in KeyFactor}
    milestone = schemas["MilestoneView"]["properties"]["status"]
    assert set(milestone["enum"]) == {"pending", "in_progress", "completed"}


def test_request_schema_states_what_validation_checks() -> None:
    schemas = openapi_document()["components"]["schemas"]
    opening = schemas["OpenPlan"]["properties"]
    assert opening["country"]["pattern"] == "^[A-Z]{3}$"
    assert opening["period_start"]["format"] == "date"
    assert (
        "pattern" in opening["period_start"]
        and "9990-12-31" in opening["period_end"]["description"]
    )
    assert "pattern" in opening["title"] and opening["title"]["maxLength"] == 200
    finding = schemas["RecordDiagnosticFinding"]["properties"]["maturity"]
    assert (finding["minimum"], finding["maximum"]) == (1, 5)


async def test_plan_reads_are_tagged_and_a_held_tag_is_answered_304_until_the_plan_moves(
    stack: Stack,
) -> None:
    plan = f"{HOME}-2026"
    async with stack.http("manager") as http:
        sizes = {}
        for path in ("", "/milestones", "/indicators", "/benchmarks", "/audit"):
            first = await http.get(f"/plans/{plan}{path}")
            assert first.status_code == 200, first.text
            etag = first.headers["etag"]
            assert etag.startswith('W/"') and first.headers["cache-control"] == "private, no-cache"
            again = await http.get(f"/plans/{plan}{path}", headers={"If-None-Match": etag})
            assert again.status_code == 304 and again.content == b""
            assert again.headers["etag"] == etag
            sizes[path or "/"] = (len(first.content), len(again.content))
        summary = await http.get(f"/plans/{plan}")
        tag = summary.headers["etag"]
        flow = api_plan(stack, HOME, focal=f"{HOME}.focal", head=f"{HOME}.head")
        await flow.ok(flow.focal, type="report_milestone_progress", milestone_id="M1",
                      percent=40, note="Under way")  # fmt: skip
        await stack.settle()
        moved = await http.get(f"/plans/{plan}", headers={"If-None-Match": tag})
        assert moved.status_code == 200 and moved.headers["etag"] != tag
        assert moved.json()["version"] == summary.json()["version"] + 1
    print(f"\nplan reads, bytes (200, 304): {sizes}")


async def test_lists_get_a_digest_tag_and_link_headers(stack: Stack) -> None:
    async with stack.http("manager") as http:
        first = await http.get("/plans", params={"limit": 1})
        assert first.status_code == 200
        links = first.headers["link"]
        assert 'rel="first"' in links and 'rel="next"' in links and 'rel="prev"' not in links
        assert "/plans?limit=1&offset=1" in links
        second = await http.get("/plans", params={"limit": 1, "offset": 1})
        assert 'rel="prev"' in second.headers["link"]
        assert second.json()["plans"][0]["plan_id"] != first.json()["plans"][0]["plan_id"]
        held = await http.get(
            "/plans", params={"limit": 1}, headers={"If-None-Match": first.headers["etag"]}
        )
        assert held.status_code == 304
        audit = await http.get(f"/plans/{HOME}-2026/audit", params={"limit": 5})
        body = audit.json()
        last_offset = (body["total"] - 1) // 5 * 5
        assert f'offset={last_offset}>; rel="last"' in audit.headers["link"]
        grid = await http.get("/portfolio", params={"limit": 1})
        assert grid.status_code == 200 and grid.json()["next_offset"] == 1
        assert '/portfolio?limit=1&offset=1>; rel="next"' in grid.headers["link"]
        held = await http.get(
            "/portfolio", params={"limit": 1}, headers={"If-None-Match": grid.headers["etag"]}
        )
        assert held.status_code == 304


async def test_answers_are_compressed_when_the_client_accepts_gzip(stack: Stack) -> None:
    async with stack.http("manager") as http:
        plain = await http.get(f"/plans/{HOME}-2026/audit", headers={"Accept-Encoding": "identity"})
        zipped = await http.get(f"/plans/{HOME}-2026/audit", headers={"Accept-Encoding": "gzip"})
        small = await http.get(f"/plans/{AWAY}-2026/milestones")
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["etag"] == plain.headers["etag"]  # tagged before compression
    assert zipped.json() == plain.json()
    wire = zipped.num_bytes_downloaded
    assert wire < len(plain.content) / 3
    # Under a kilobyte the answer goes as it is: gzip would not pay.
    assert len(small.content) < 1024 and "content-encoding" not in small.headers
    print(f"\naudit page: {len(plain.content)} bytes, about {wire} gzipped")


async def test_a_deprecated_operation_says_so_in_the_schema_and_in_headers(stack: Stack) -> None:
    app = create_app(stack.app.state.context)
    router = APIRouter()
    notice = Deprecation(since=date(2027, 1, 1), replacement="/plans", sunset=date(2027, 7, 1))

    @router.get("/old-plans", **deprecated(notice))
    async def old_plans() -> dict[str, str]:
        return {"see": "/plans"}

    app.include_router(router)
    assert app.openapi()["paths"]["/old-plans"]["get"]["deprecated"] is True
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://acip.test"
    ) as http:
        answer = await http.get("/old-plans")
    assert answer.headers["deprecation"] == "@1798761600"  # 2027-01-01T00:00:00Z
    assert answer.headers["sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"
    assert answer.headers["link"] == '</plans>; rel="deprecation"'
    # None of today's operations is deprecated, so none sends the header.
    live = stack.app.openapi()["paths"]
    assert not [p for p, ops in live.items() for op in ops.values() if op.get("deprecated")]


async def feed(stack: Stack, user: str, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    """Every event of the feed for ``user``, page by page, following ``next``."""
    events: list[dict[str, Any]] = []
    async with stack.http(user) as http:
        for _ in range(1000):
            answer = await http.get("/events", params={"after": after, "limit": limit})
            assert answer.status_code == 200, answer.text
            page = answer.json()
            assert f"after={page['next']}" in answer.headers["link"]
            events.extend(page["events"])
            if page["next"] == after:
                return events
            after = page["next"]
    raise AssertionError("the feed never ended")


async def test_the_event_feed_shows_each_reader_what_they_may_see_in_order(stack: Stack) -> None:
    everything = await feed(stack, "auditor")
    streams = {e["stream_id"] for e in everything}
    assert {f"plan-{HOME}-2026", f"plan-{AWAY}-2026", f"attempts-{HOME}-2026"} <= streams
    assert not [s for s in streams if not s.startswith(("plan-", "attempts-"))]
    positions = [e["global_position"] for e in everything]
    assert positions == sorted(set(positions))

    focal = await feed(stack, f"{HOME}.focal")
    assert {e["stream_id"] for e in focal} == {f"plan-{HOME}-2026"}  # no attempts, no AWAY
    observer = await feed(stack, "home.observer")
    assert [e["event_id"] for e in observer] == [e["event_id"] for e in focal]
    plan_events = [e for e in everything if e["stream_id"] == f"plan-{HOME}-2026"]
    assert [e["version"] for e in plan_events] == list(range(1, len(plan_events) + 1))

    # Resumable: small pages from any cursor give the same events, none twice.
    paged = await feed(stack, "auditor", limit=7)
    assert [e["event_id"] for e in paged] == [e["event_id"] for e in everything]
    middle = everything[len(everything) // 2]["global_position"]
    rest = await feed(stack, "auditor", after=middle)
    assert rest == [e for e in everything if e["global_position"] > middle]


async def test_the_event_feed_needs_a_token_and_bounds_its_parameters(stack: Stack) -> None:
    async with stack.http() as http:
        assert (await http.get("/events")).status_code == 401
    async with stack.http("auditor") as http:
        for params in ({"after": -1}, {"limit": 0}, {"limit": 1001}, {"after": 2**63}):
            answer = await http.get("/events", params=params)
            assert answer.status_code == 422, (params, answer.text)
            assert answer.json()["error"] == "invalid_request"


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    """The app on a loopback port, so bytes are counted as a client receives them."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(3000):  # uvicorn has no started event to wait on
            if server.started:
                break
            await asyncio.sleep(0.01)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def wire_bytes(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Every byte of one HTTP/1.1 exchange's answer, status line and headers included."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"GET {path} HTTP/1.1", "Host: acip.test", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    return len(answer), answer.split(b"\r\n", 1)[0]


async def test_what_reading_the_plan_costs_on_the_wire(stack: Stack) -> None:
    """The figures of docs/api.md: a plan summary, gzip accepted, and its conditional read."""
    auth = {"Authorization": f"Bearer {stack.tokens['manager']}", "Accept-Encoding": "gzip"}
    path = f"/plans/{HOME}-2026"
    async with serving(stack.app) as port:
        full, status = await wire_bytes(port, path, auth)
        assert status == b"HTTP/1.1 200 OK"
        async with stack.http("manager") as http:
            etag = (await http.get(path)).headers["etag"]
        conditional, status = await wire_bytes(port, path, {**auth, "If-None-Match": etag})
        assert status == b"HTTP/1.1 304 Not Modified"
        audit, _ = await wire_bytes(port, f"{path}/audit", auth)
    assert conditional < 400 and conditional < full
    print(f"\non the wire: plan {full} bytes, its 304 {conditional} bytes, audit page {audit}")
