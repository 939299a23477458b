"""`acip results PLAN`, `acip diagnostic PLAN`, `acip measurements due`: the results
framework read through the API, as a tree, a before/after table and a list."""

from __future__ import annotations

from typing import Any

import typer

from workers.cli_client import JsonOption, cell, console, read, read_table

measurements_app = typer.Typer(help="Indicator measurements across plans.", no_args_is_help=True)


def _periods(indicator: dict[str, Any]) -> str:
    return ", ".join(
        f"{p['ends']}: {cell(p['target'])}"
        + (f" ({cell(p['measured_value'])})" if p["measured_value"] is not None else "")
        + ("" if p["status"] in ("upcoming", "measured") else f" [{p['status']}]")
        for p in indicator["periods"]
    )


def _indicator_lines(indicator: dict[str, Any], indent: str) -> list[str]:
    revised = (
        f" (originally {cell(indicator['original_target'])})"
        if indicator["target"] != indicator["original_target"]
        else ""
    )
    return [
        f"{indent}indicator {indicator['indicator_id']} {indicator['name']}: "
        f"{indicator['status']}, {cell(indicator['baseline'])} -> "
        f"{cell(indicator['target'])} {indicator['unit']}{revised}, "
        f"{indicator['reporting_frequency']}",
        f"{indent}  targets per period: {_periods(indicator)}",
    ]


def _outcome_lines(outcome: dict[str, Any], indent: str) -> list[str]:
    lines = [
        f"{indent}{outcome['outcome_id']} {outcome['title']} [{outcome['status']}] "
        f"({', '.join(outcome['key_factors'])})"
    ]
    for m in outcome["milestones"]:
        lines.append(
            f"{indent}  milestone {m['milestone_id']} {m['title']}: {m['status']} "
            f"{m['percent']}%, due {m['due_date']}{' OVERDUE' if m['overdue'] else ''}"
        )
    for i in outcome["indicators"]:
        lines.extend(_indicator_lines(i, indent + "  "))
    for child in outcome["outcomes"]:
        lines.extend(_outcome_lines(child, indent + "  "))
    return lines


def results(plan_id: str, as_json: bool = JsonOption) -> None:
    """The results framework of a plan: outcomes, milestones, indicators, targets per period."""
    body = read(as_json, f"/plans/{plan_id}/results")
    if body is None:
        return
    lines = [f"Results framework of {plan_id} ({body['phase']})"]
    for outcome in body["outcomes"]:
        lines.extend(_outcome_lines(outcome, "  "))
    if body["unassigned_milestones"] or body["unassigned_indicators"]:
        lines.append("  (in no outcome)")
        for m in body["unassigned_milestones"]:
            lines.append(f"    milestone {m['milestone_id']} {m['title']}: {m['status']}")
        for i in body["unassigned_indicators"]:
            lines.extend(_indicator_lines(i, "    "))
    console().print("\n".join(lines), markup=False, highlight=False)


def diagnostic(plan_id: str, as_json: bool = JsonOption) -> None:
    """Maturity per key factor at the diagnostic and at the final assessment."""
    read_table(
        as_json,
        f"/plans/{plan_id}/diagnostic",
        lambda _: f"Diagnostic of {plan_id}",
        ["label", "start_maturity", "final_maturity", "change", "start_summary", "final_summary"],
        "key_factors",
    )


@measurements_app.command("due")
def measurements_due(
    plan_id: str | None = typer.Option(None, "--plan", help="Only this plan, e.g. GHA-2027"),
    as_json: bool = JsonOption,
) -> None:
    """Indicators whose latest reporting period ended without a measurement."""
    options: dict[str, Any] = {"params": {"plan_id": plan_id}} if plan_id else {}
    read_table(
        as_json,
        "/measurements/due",
        lambda body: f"Measurements due (as of {body['today']})",
        ["plan_id", "indicator_id", "indicator_name", "period_ends", "due_on", "status"],
        "measurements",
        **options,
    )


def register(app: typer.Typer) -> None:
    app.command("results")(results)
    app.command("diagnostic")(diagnostic)
    app.add_typer(measurements_app, name="measurements")
