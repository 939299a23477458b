"""`acip plans|command|milestones|benchmarks`: the HTTP API from a terminal.

Talks to ACIP_API_URL (else http://ACIP_API_HOST:ACIP_API_PORT when either is set, else the
API of the running `acip up` from its stack.json) with ACIP_TOKEN. Tables on
a terminal, ``--json`` for scripts; a refusal prints its rule and message and exits non-zero.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from domain.regions import Region
from workers.settings import load_settings

plans_app = typer.Typer(help="Read action plans through the API.", no_args_is_help=True)
milestones_app = typer.Typer(help="Milestones across plans.", no_args_is_help=True)

# Exit statuses a script can tell apart.
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_UNREACHABLE = 4

JsonOption = typer.Option(False, "--json", help="Print the API's JSON instead of a table.")


class ClientError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def api_url() -> str:
    """ACIP_API_URL or ACIP_API_HOST/PORT when set, else the running `acip up`'s stack.json."""
    return load_settings().resolved_api_url


def _token() -> str:
    token = os.environ.get("ACIP_TOKEN", "").strip()
    if not token:
        raise ClientError(
            "ACIP_TOKEN is not set: export a token from `acip users add` "
            "(demo tokens are in .acip/demo-users.json)",
            EXIT_AUTH,
        )
    return token


def request(method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """One API call; its JSON answer, or a ClientError with the API's own words."""
    headers = {**(headers or {}), "Authorization": f"Bearer {_token()}"}
    try:
        with httpx.Client(base_url=api_url(), timeout=60) as http:
            response = http.request(method, path, headers=headers, **kwargs)
    except httpx.TransportError as error:
        message = f"cannot reach the API at {api_url()}: {error}"
        raise ClientError(message, EXIT_UNREACHABLE) from None
    if response.status_code >= 400:
        raise ClientError(_refusal_text(response), _exit_for(response.status_code))
    return response.json()


def _refusal_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    label = body.get("rule") or body.get("error") or "error"
    text = f"refused ({response.status_code} {label}): {body.get('message', '')}"
    details = body.get("details")
    # A 422 lists its fields (the first is in the message already); a refused command's
    # details are the facts of its rule, which the sentence already says.
    if isinstance(details, list):
        for detail in details[1:]:
            text += f"\n  {detail.get('field')}: {detail.get('message')}"
    return text


def _exit_for(status: int) -> int:
    if status == 401:
        return EXIT_AUTH
    if status in (400, 413, 422):
        return EXIT_USAGE
    return EXIT_REFUSED


def fail(error: ClientError) -> typer.Exit:
    print(f"acip: {error}", file=sys.stderr)
    return typer.Exit(error.status)


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def console() -> Console:
    # A pipe has no width; rich would assume 80 columns and wrap every cell.
    return Console() if sys.stdout.isatty() else Console(width=200)


def table(title: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    grid = Table(title=title, title_justify="left")
    for column in columns:
        grid.add_column(column.replace("_", " "))
    for row in rows:
        grid.add_row(*(cell(row.get(column)) for column in columns))
    console().print(grid)
    if not rows:
        typer.echo("(none)")


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def parse_fields(args: Sequence[str]) -> dict[str, Any]:
    """``--due-date 2027-06-30 --percent=40`` -> ``{"due_date": "2027-06-30", "percent": "40"}``.

    Values stay strings: the API validates and converts them, and names the field if wrong.
    """
    fields: dict[str, Any] = {}
    items = list(args)
    while items:
        item = items.pop(0)
        if not item.startswith("--") or item == "--":
            raise ClientError(f"expected --field value, got {item!r}", EXIT_USAGE)
        name, sep, value = item[2:].partition("=")
        if not sep:
            if not items or items[0].startswith("--"):
                raise ClientError(f"--{name} needs a value", EXIT_USAGE)
            value = items.pop(0)
        fields[name.replace("-", "_")] = value
    return fields


def read(as_json: bool, path: str, **options: Any) -> dict[str, Any] | None:
    """GET ``path``; with --json print the body and return None, else return it for a table."""
    try:
        body: dict[str, Any] = request("GET", path, **options)
    except ClientError as error:
        raise fail(error) from None
    if as_json:
        emit_json(body)
        return None
    return body


def read_table(
    as_json: bool,
    path: str,
    title: Callable[[dict[str, Any]], str],
    columns: Sequence[str],
    rows_key: str,
    **options: Any,
) -> None:
    """GET ``path`` and print it: the body with --json, else its ``rows_key`` list as a
    table titled from the body."""
    body = read(as_json, path, **options)
    if body is not None:
        table(title(body), columns, body[rows_key])


@plans_app.command("list")
def plans_list(
    country: str | None = typer.Option(None, "--country", help="ISO 3166-1 alpha-3, e.g. GHA"),
    phase: str | None = typer.Option(None, "--phase", help="e.g. implementation"),
    region: Region | None = typer.Option(None, "--region", help="A WCO region, e.g. europe"),
    limit: int = typer.Option(50, "--limit", min=1, max=500),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = JsonOption,
) -> None:
    """Plans you may see, with their phase and overdue milestones."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if country:
        params["country"] = country.upper()
    if region:
        params["region"] = region.value
    if phase:
        params["phase"] = phase
    read_table(
        as_json,
        "/plans",
        lambda _: "Plans",
        ["plan_id", "country", "phase", "title", "version", "milestones_overdue", "worst_status"],
        "plans",
        params=params,
    )


@plans_app.command("show")
def plans_show(
    plan_id: str,
    as_of: str | None = typer.Option(None, "--as-of", help="Replay: an instant or a date"),
    as_of_version: int | None = typer.Option(None, "--as-of-version", min=1),
    as_json: bool = JsonOption,
) -> None:
    """One plan's summary (or its state replayed as of an instant or version)."""
    params: dict[str, Any] = {}
    if as_of:
        params["as_of"] = as_of
    if as_of_version:
        params["as_of_version"] = as_of_version
    try:
        summary = request("GET", f"/plans/{plan_id}", params=params)
    except ClientError as error:
        raise fail(error) from None
    if as_json:
        emit_json(summary)
        return
    grid = Table(title=f"Plan {plan_id}", show_header=False, title_justify="left")
    grid.add_column("field", style="bold")
    grid.add_column("value")
    for key, value in summary.items():
        grid.add_row(key.replace("_", " "), cell(value))
    console().print(grid)


@plans_app.command("events")
def plans_events(
    plan_id: str,
    as_json: bool = JsonOption,
) -> None:
    """The plan's stored events, in order, with their hashes."""
    body = read(as_json, f"/plans/{plan_id}/events")
    if body is None:
        return
    rows = [
        {
            **event,
            "actor": (event.get("metadata") or {}).get("actor"),
            "hash": str(event.get("hash", ""))[:12],
        }
        for event in body["events"]
    ]
    table(f"Events of {plan_id}", ["version", "type", "actor", "occurred_at", "hash"], rows)


@milestones_app.command("overdue")
def milestones_overdue(as_json: bool = JsonOption) -> None:
    """Overdue milestones across the plans you may see."""
    read_table(
        as_json,
        "/milestones/overdue",
        lambda _: "Overdue milestones",
        ["plan_id", "milestone_id", "title", "due_date", "overdue_since", "escalated"],
        "milestones",
    )


def benchmarks(plan_id: str, as_json: bool = JsonOption) -> None:
    """Benchmark status per key factor of a plan."""
    body = read(as_json, f"/plans/{plan_id}/benchmarks")
    if body is None:
        return
    rows = []
    for factor in body["key_factors"]:
        rows.append({**factor, "indicators": len(factor.get("indicators", []))})
        for indicator in factor.get("indicators", []):
            rows.append(
                {
                    "key_factor": f"  {indicator['indicator_id']} {indicator['name']}",
                    "status": indicator["status"],
                    "indicators": f"{cell(indicator.get('latest_value'))} "
                    f"(baseline {cell(indicator['baseline'])}, "
                    f"target {cell(indicator['target'])})",
                }
            )
    table(
        f"Benchmarks of {plan_id}",
        [
            "key_factor",
            "status",
            "indicators",
            "milestones_total",
            "milestones_completed",
            "milestones_overdue",
        ],
        rows,
    )


def command(
    ctx: typer.Context,
    plan_id: str = typer.Argument(..., help="e.g. GHA-2027"),
    command_type: str = typer.Argument(..., metavar="TYPE", help="e.g. approve_plan"),
    body: str | None = typer.Option(None, "--json", help="The command's fields as JSON"),
    idempotency_key: str | None = typer.Option(None, "--idempotency-key"),
) -> None:
    """Send a command: `acip command GHA-2027 add_milestone --milestone-id M1 --title ...`.

    Prints a line on a terminal and the API's JSON otherwise. Exit 1 on a refusal,
    2 on malformed input, 3 without a valid token, 4 when the API is unreachable.
    """
    try:
        fields = json.loads(body) if body else {}
        if not isinstance(fields, dict):
            raise ClientError("--json must be a JSON object", EXIT_USAGE)
        fields.update(parse_fields(ctx.args))
        fields["type"] = command_type
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        result = request("POST", f"/plans/{plan_id}/commands", json=fields, headers=headers)
    except json.JSONDecodeError as error:
        raise fail(ClientError(f"--json is not valid JSON: {error}", EXIT_USAGE)) from None
    except ClientError as error:
        raise fail(error) from None
    if not sys.stdout.isatty():
        emit_json(result)
        return
    events = ", ".join(event["type"] for event in result.get("events", [])) or "nothing new"
    typer.echo(f"{plan_id} is at version {result['version']}: {events}")


def register(app: typer.Typer) -> None:
    """Add the client commands to the `acip` app (called from workers/cli.py)."""
    app.add_typer(plans_app, name="plans")
    app.add_typer(milestones_app, name="milestones")
    app.command("benchmarks")(benchmarks)
    app.command(
        "command",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(command)
