"""The dashboard's pages are small: each page with everything it loads stays within the
byte budget written in docs/dashboard.md ("Page weight"), on the wire (gzip) and
uncompressed, and nothing comes from another host (no web fonts, no CDN scripts).

A plan in implementation with milestones, indicators and measurements is the heavy case.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.support.api_stack import API_YEAR, Stack, api_plan, stack_fixture
from tests.support.ids import unique_country
from tests.support.plans import Stage

COUNTRY = unique_country(year=API_YEAR)
PLAN = f"{COUNTRY}-2026"
BUDGET_DOC = Path(__file__).resolve().parents[2] / "docs" / "dashboard.md"
# | `/ui/plans/{plan_id}` | 12 000 | 60 000 |
BUDGET_ROW = re.compile(r"^\| `(/ui/[^`]*)` \| ([\d ]+) \| ([\d ]+) \|", re.MULTILINE)
SUBRESOURCE = re.compile(r'<(?:link|script|img)\b[^>]*\b(?:href|src)="([^"]+)"')
EXTERNAL = re.compile(r"(?:src|href)=\"(?:https?:)?//|@import|url\(\s*['\"]?(?:https?:)?//")


async def prepared(stack: Stack) -> None:
    await stack.add_users("manager")
    await stack.add_users("focal", "head", country=COUNTRY)
    flow = api_plan(stack, COUNTRY, focal="focal", head="head")
    await flow.advance(Stage.IMPLEMENTATION)
    for day, value in (("2026-03-31", 20), ("2026-06-30", 35), ("2026-09-30", 50)):
        await flow.ok(
            "focal", type="record_measurement", indicator_id="I1", value=value,
            measured_on=day,
        )  # fmt: skip
    await stack.settle()


stack = stack_fixture(prepared)


def budgets() -> dict[str, tuple[int, int]]:
    found = {
        path: (int(wire.replace(" ", "")), int(raw.replace(" ", "")))
        for path, wire, raw in BUDGET_ROW.findall(BUDGET_DOC.read_text())
    }
    assert found, f"no budget table in {BUDGET_DOC}"
    return found


async def weigh(client: httpx.AsyncClient, path: str) -> tuple[int, int, list[str]]:
    """Bytes on the wire (gzip accepted) and uncompressed, of the page and every local
    stylesheet, script and image it names; and what it names from elsewhere."""
    page = await client.get(path, headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200, (path, page.status_code)
    wire, raw = page.num_bytes_downloaded, len(page.content)
    external = EXTERNAL.findall(page.text)
    for url in sorted(set(SUBRESOURCE.findall(page.text))):
        if url.startswith("data:"):
            continue
        part = await client.get(url, headers={"Accept-Encoding": "gzip"})
        assert part.status_code == 200, url
        wire, raw = wire + part.num_bytes_downloaded, raw + len(part.content)
        if url.endswith(".css"):
            external += EXTERNAL.findall(part.text)
    return wire, raw, external


async def test_every_dashboard_page_stays_within_its_byte_budget(stack: Stack) -> None:
    measured: dict[str, tuple[int, int]] = {}
    async with stack.browser("manager") as client:
        for path, (wire_budget, raw_budget) in budgets().items():
            url = path.replace("{plan_id}", PLAN)
            wire, raw, external = await weigh(client, url)
            measured[path] = (wire, raw)
            assert external == [], f"{path} loads from another host: {external}"
            assert wire <= wire_budget, f"{path}: {wire} bytes on the wire > {wire_budget}"
            assert raw <= raw_budget, f"{path}: {raw} bytes uncompressed > {raw_budget}"
    assert "/ui/plans/{plan_id}" in measured
    print(f"\ndashboard pages with their assets, bytes (gzip, uncompressed): {measured}")


def test_the_templates_and_styles_name_no_other_host() -> None:
    api = Path(__file__).resolve().parents[2] / "api"
    files = [*api.glob("templates/*.html"), api / "static" / "app.css"]
    offending = [f.name for f in files if EXTERNAL.search(f.read_text())]
    assert offending == []
