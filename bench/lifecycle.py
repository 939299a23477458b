"""Plans driven through their lifecycle against Temporal's dev server, beside a bare
Temporal workflow with the same number of updates (each calling one no-op activity).

    python -m bench.lifecycle [--plans 200] [--concurrency 40]

Both run in this process against the same dev server (started like `acip up`) and the
same embedded PostgreSQL. Prints human lines, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from api.dispatch import dispatch
from bench._common import emit, environment, fresh_database, postgres_server
from bench.bare_workflow import BareWorkflow, noop
from domain import Actor, KeyFactor, Role, parse_command
from domain.countries import country_codes
from eventstore import PostgresEventStore
from workers.db import create_pool
from workers.embedded import temporal_dev_server
from workers.temporal import build_worker, connect_client, workflow_runner

MANAGER = Actor(name="bench.manager", role=Role.PROGRAMME_MANAGER)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def plan_commands(country: str, year: int = 2026) -> list[tuple[Actor, dict[str, Any]]]:
    """About 30 updates: open, diagnostic, a results framework (a general outcome with a
    specific one under it), 5 milestones, 3 indicators (one quarterly, with period targets),
    submit, approvals, progress and completion of every milestone."""
    focal = Actor(name=f"{country.lower()}.focal", role=Role.FOCAL_POINT, country=country)
    head = Actor(name=f"{country.lower()}.head", role=Role.HEAD_OF_ADMINISTRATION, country=country)
    commands: list[tuple[Actor, dict[str, Any]]] = [
        (
            MANAGER,
            {
                "type": "open_plan",
                "country": country,
                "administration": "Customs",
                "title": "Integrity plan",
                "period_start": f"{year}-01-01",
                "period_end": f"{year + 3}-12-31",
            },
        ),
    ]
    commands += [
        (
            focal,
            {
                "type": "record_diagnostic_finding",
                "key_factor": factor.value,
                "maturity": 3,
                "summary": "Assessed",
            },
        )
        for factor in KeyFactor
    ]
    commands.append((focal, {"type": "complete_diagnostic"}))
    commands += [
        (
            focal,
            {
                "type": "add_outcome",
                "outcome_id": outcome_id,
                "title": f"Outcome {outcome_id}",
                "key_factors": ["transparency", "automation"],
                **({"parent_id": "O1"} if outcome_id == "O1.1" else {}),
            },
        )
        for outcome_id in ("O1", "O1.1")
    ]
    commands += [
        (
            focal,
            {
                "type": "add_milestone",
                "milestone_id": f"M{n}",
                "title": f"Milestone {n}",
                "key_factor": "transparency",
                "due_date": date(2028, n, 1).isoformat(),
                "outcome_id": "O1.1" if n % 2 else "O1",
            },
        )
        for n in range(1, 6)
    ]
    commands += [
        (
            focal,
            {
                "type": "define_indicator",
                "indicator_id": f"I{n}",
                "name": f"Indicator {n}",
                "key_factor": "automation",
                "unit": "percent",
                "baseline": 10,
                "target": 90,
                "outcome_id": "O1.1",
                "reporting_frequency": "quarterly" if n == 1 else "annual",
                "period_targets": [{"due": f"{year + 1}-12-31", "target": 40}],
            },
        )
        for n in range(1, 4)
    ]
    commands += [
        (focal, {"type": "submit_for_approval"}),
        (head, {"type": "approve_plan"}),
        (MANAGER, {"type": "approve_plan"}),
    ]
    for n in range(1, 6):
        commands.append(
            (
                focal,
                {
                    "type": "report_milestone_progress",
                    "milestone_id": f"M{n}",
                    "percent": 50,
                    "note": "Half way",
                },
            )
        )
        commands.append(
            (focal, {"type": "complete_milestone", "milestone_id": f"M{n}", "evidence": "Report"})
        )
    return commands


def plan_of(n: int) -> tuple[str, int]:
    """(country, year) of the n-th plan: real country codes, a later year once all are used."""
    codes = country_codes()
    return codes[n % len(codes)], 2026 + n // len(codes)


async def run_ours(
    client: Client,
    task_queue: str,
    first: int,
    plans: int,
    concurrency: int,
    latencies: list[float],
) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        country, year = plan_of(n)
        plan_id = f"{country}-{year}"
        async with gate:
            for actor, command in plan_commands(country, year):
                started = time.perf_counter()
                await dispatch(client, task_queue, plan_id, parse_command(command), actor)
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(first, first + plans)))
    return time.perf_counter() - started


async def run_bare(
    client: Client,
    task_queue: str,
    plans: int,
    concurrency: int,
    updates_per_plan: int,
    latencies: list[float],
) -> float:
    gate = asyncio.Semaphore(concurrency)
    prefix = uuid.uuid4().hex[:8]

    async def one(n: int) -> None:
        async with gate:
            started = time.perf_counter()
            operation = WithStartWorkflowOperation(
                BareWorkflow.run,
                id=f"bare-{prefix}-{n}",
                task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            await client.execute_update_with_start_workflow(
                BareWorkflow.step, False, start_workflow_operation=operation
            )
            latencies.append(time.perf_counter() - started)
            handle = await operation.workflow_handle()
            for k in range(1, updates_per_plan):
                started = time.perf_counter()
                await handle.execute_update(BareWorkflow.step, k == updates_per_plan - 1)
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(plans)))
    return time.perf_counter() - started


def summary(name: str, plans: int, seconds: float, latencies: list[float]) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "name": name,
        "plans": plans,
        "updates": len(latencies),
        "seconds": round(seconds, 3),
        "plans_per_s": round(plans / seconds, 2),
        "updates_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
    }


async def measure(
    database_url: str, address: str, plans: int, concurrency: int, profile: Path | None
) -> None:
    pool = await create_pool(database_url, max_size=20)
    client = await connect_client(address, tracing=False)
    queue = f"bench-{uuid.uuid4()}"
    updates_per_plan = len(plan_commands("GHA"))
    ours: list[float] = []
    bare: list[float] = []
    worker = build_worker(client, queue, pool, store=PostgresEventStore(pool))
    bare_worker = Worker(
        client,
        task_queue=queue + "-bare",
        workflows=[BareWorkflow],
        activities=[noop],
        workflow_runner=workflow_runner(),
    )
    async with worker, bare_worker:
        # Warm up both paths so imports and caches are not measured.
        await run_ours(client, queue, 0, 2, 2, [])
        await run_bare(client, queue + "-bare", 2, 2, updates_per_plan, [])
        bare_seconds = await run_bare(
            client, queue + "-bare", plans, concurrency, updates_per_plan, bare
        )
        profiler = _start_profiler() if profile else None
        ours_seconds = await run_ours(client, queue, 2, plans, concurrency, ours)
        if profiler is not None and profile is not None:
            profiler.stop()
            _write(profile, profiler.output_text(unicode=False, color=False, show_all=False))
            print(f"profile of the acip run written to {profile}")
    await pool.close()
    ours_row = summary("acip PlanWorkflow", plans, ours_seconds, ours)
    bare_row = summary("bare Temporal (update + no-op activity)", plans, bare_seconds, bare)
    for row in (bare_row, ours_row):
        print(
            f"{row['name']:42} {row['plans_per_s']:8} plans/s {row['updates_per_s']:8} "
            f"updates/s  p50 {row['p50_ms']} ms  p99 {row['p99_ms']} ms"
        )
    ratio = ours_row["updates_per_s"] / bare_row["updates_per_s"]
    print(f"ratio (ours / bare updates/s): {ratio:.2f}")
    emit(
        {
            "benchmark": "lifecycle",
            "environment": environment(),
            "ours": ours_row,
            "bare": bare_row,
            "ratio_updates_per_s": round(ratio, 3),
        }
    )


def _write(path: Path, text: str) -> None:
    path.write_text(text)


def _start_profiler() -> Any:
    # Statistical profile of this process (client and worker) while our plans run.
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    return profiler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile here")
    args = parser.parse_args()
    with postgres_server() as server_url, tempfile.TemporaryDirectory() as home:
        database_url = asyncio.run(fresh_database(server_url))
        with temporal_dev_server(Path(home), "127.0.0.1", _free_port(), _free_port()) as address:
            asyncio.run(measure(database_url, address, args.plans, args.concurrency, args.profile))


if __name__ == "__main__":
    main()
