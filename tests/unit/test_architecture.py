"""ARCHITECTURE.md's arrows, checked on every import of every shipped module (ast, no import).

    domain <- eventstore, workflows, activities, projections, reports <- api <- workers

- domain imports none of the other packages (and no I/O library);
- nothing imports workers/ but workers/ (the entry points);
- only workflows/ imports ``temporalio.workflow`` and the SDK's other workflow-sandbox
  names (its workflow-side tracing interceptor and the private context helper it uses);
- workflows/ and activities/ do not import each other (the Temporal contracts live in one
  module both import);
- witness/ imports nothing of ours but eventstore's proof-checking modules;
- no shipped module imports test or benchmark support (testkit/, tests/, bench/);
- only workers/ (the entry points) builds a ``PostgresEventStore``; everything else is
  handed one, typed against eventstore.protocol.EventStore;
- a table belongs to the package whose migrations create it: no other package's SQL names
  it (they go through the owner's interface; the events table through EventStore).

Imports inside functions and under ``TYPE_CHECKING`` count: they are dependencies too.
``KNOWN_VIOLATIONS`` and ``KNOWN_TABLE_USES`` list what still breaks a rule today, each
with its reason; the tests fail on anything not listed, and on a listed entry that no longer
exists, so the lists can only shrink.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What each package may import of ours. A top-level package not named here fails the test:
# give it a place in the arrows first.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    # The Temporal contracts (inputs, results, activity names): what workflows/ and
    # activities/ share instead of importing each other.
    "contracts": frozenset({"domain"}),
    "eventstore": frozenset({"domain"}),
    # The catalogs and the vocabulary's words: read by every layer that writes for people
    # (e-mails, reports, the dashboard and API), reading only the domain's codes.
    "locales": frozenset({"domain"}),
    "workflows": frozenset({"domain", "contracts"}),
    "activities": frozenset({"domain", "eventstore", "contracts", "locales"}),
    # activities: the notifications read model is to come through activities' interface.
    "projections": frozenset({"domain", "eventstore", "activities"}),
    "reports": frozenset({"domain", "projections", "locales"}),
    "api": frozenset(
        {"domain", "contracts", "eventstore", "workflows", "activities", "projections", "reports"}
        | {"locales"}
    ),
    "workers": frozenset(
        {"domain", "contracts", "eventstore", "workflows", "activities", "projections"}
        | {"reports", "api", "witness", "locales"}
    ),
    "witness": frozenset(),
}
# witness/ checks proofs with eventstore's pure proof code and nothing else of ours: the
# Merkle log's proofs and the signed tree heads' formats and signature checks (both
# standard library and cryptography only).
WITNESS_MAY_IMPORT = frozenset({"eventstore.merkle", "eventstore.tree_head"})
NOT_SHIPPED = frozenset({"testkit", "tests", "bench"})
# The pure core does no I/O: no database, network, Temporal or web framework.
DOMAIN_MAY_NOT_IMPORT = frozenset(
    {"asyncpg", "temporalio", "fastapi", "starlette", "httpx", "aiosmtplib", "smtplib", "socket"}
)
# Code that runs inside the workflow sandbox, whose use belongs next to the workflows.
WORKFLOW_SIDE = (
    "temporalio.workflow",
    "temporalio.contrib.opentelemetry.TracingWorkflowInboundInterceptor",
    "temporalio.contrib.opentelemetry._context",
)


@dataclass(frozen=True, order=True)
class Arrow:
    importer: str  # dotted module name
    imported: str  # dotted module name, as precise as the import statement says

    def __str__(self) -> str:
        return f"{self.importer} -> {self.imported}"


# Arrows that break a rule today, each with why and who removes it. Remove an entry when
# its arrow is gone (the test says so); never add one without a reason and an owner.
# Empty since h/workflow's move: the Temporal contracts are in contracts/, and the
# workflow-sandbox tracing interceptor in workflows/tracing.py.
KNOWN_VIOLATIONS: dict[Arrow, str] = {}


def shipped_packages() -> list[str]:
    """The top-level packages pyproject.toml installs (its ``include`` patterns)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted(pattern.rstrip("*") for pattern in patterns)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(path: Path) -> Iterator[str]:
    return imports_in(path.read_text(), module_name(path), is_package=path.name == "__init__.py")


def imports_in(source: str, importer: str, *, is_package: bool = False) -> Iterator[str]:
    """Every module a module's source imports. ``from package import name`` counts as
    ``package.name`` when that is a module of ours, else as ``package``; for third-party
    packages as ``package``, and also as ``package.name`` when a rule names it
    (``from temporalio import workflow`` is temporalio.workflow).
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = importer.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            top = base.split(".")[0]
            ours = top in MAY_IMPORT or top in NOT_SHIPPED
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                if ours:
                    yield candidate if _is_module(candidate) else base
                else:
                    yield base
                    if candidate in WORKFLOW_SIDE:  # a module or class named by the rules
                        yield candidate


def all_arrows() -> set[Arrow]:
    arrows: set[Arrow] = set()
    for package in shipped_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            importer = module_name(path)
            arrows.update(Arrow(importer, imported) for imported in imports_of(path))
    return arrows


def rule_broken(arrow: Arrow) -> str | None:
    """Which rule the arrow breaks, or None."""
    source, target = arrow.importer.split(".")[0], arrow.imported.split(".")[0]
    if target in NOT_SHIPPED:
        return "a shipped module imports test or benchmark support"
    workflow_side = any(
        arrow.imported == name or arrow.imported.startswith(name + ".") for name in WORKFLOW_SIDE
    )
    if workflow_side and source != "workflows":
        return "only workflows/ imports the SDK's workflow-sandbox code"
    if source == "domain" and target in DOMAIN_MAY_NOT_IMPORT:
        return "domain/ does no I/O"
    if target not in MAY_IMPORT or target == source:
        return None  # third-party, standard library, or within the package
    if source == "witness":
        return None if arrow.imported in WITNESS_MAY_IMPORT else "witness/ imports only proofs"
    if target not in MAY_IMPORT[source]:
        return f"{source}/ may not import {target}/ (ARCHITECTURE.md arrows)"
    return None


def violations() -> dict[Arrow, str]:
    found = {arrow: rule_broken(arrow) for arrow in all_arrows()}
    return {arrow: rule for arrow, rule in found.items() if rule is not None}


def test_every_shipped_package_has_a_place_in_the_arrows() -> None:
    packages = shipped_packages()
    assert [p for p in packages if p not in MAY_IMPORT] == []
    assert [p for p in packages if p in NOT_SHIPPED] == []


def test_no_import_breaks_the_arrows_beyond_the_known_list() -> None:
    new = {
        str(arrow): rule for arrow, rule in violations().items() if arrow not in KNOWN_VIOLATIONS
    }
    assert new == {}


def test_every_known_violation_still_exists() -> None:
    # A fixed arrow must leave the list, so the list only ever shrinks.
    found = violations()
    gone = sorted(str(arrow) for arrow in KNOWN_VIOLATIONS if arrow not in found)
    assert gone == []


def test_the_walk_sees_imports_of_every_form() -> None:
    # The rule is only as good as the walk: relative, nested, aliased, TYPE_CHECKING.
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
from . import checkpoints
from ..eventstore import protocol as contract
import asyncpg.pool as pool_types
from temporalio import workflow
if TYPE_CHECKING:
    from workers.settings import Settings
def later() -> None:
    from testkit.synthetic import plan_history
"""
    found = set(imports_in(source, "projections.rebuild"))
    assert {
        "projections.checkpoints",
        "eventstore.protocol",
        "asyncpg.pool",
        "temporalio.workflow",
        "workers.settings",
        "testkit.synthetic",
    } <= found
    assert "temporalio.workflow" in set(imports_of(ROOT / "workflows" / "plan.py"))


def test_the_rules_say_which_arrows_break() -> None:
    assert rule_broken(Arrow("domain.state", "eventstore")) is not None
    assert rule_broken(Arrow("domain.state", "asyncpg")) is not None
    assert rule_broken(Arrow("api.reads", "workers.settings")) is not None
    assert rule_broken(Arrow("projections.rebuild", "testkit.synthetic")) is not None
    assert rule_broken(Arrow("workflows.plan", "activities.append")) is not None
    assert rule_broken(Arrow("activities.append", "workflows.plan")) is not None
    assert rule_broken(Arrow("api.context", "temporalio.workflow")) is not None
    assert rule_broken(Arrow("workers.telemetry", WORKFLOW_SIDE[2] + ".attached")) is not None
    assert rule_broken(Arrow("witness.store", "eventstore.store")) is not None
    assert rule_broken(Arrow("witness.check", "eventstore.merkle")) is None
    assert rule_broken(Arrow("api.reads", "projections.queries")) is None
    assert rule_broken(Arrow("workflows.plan", "temporalio.workflow")) is None


# -- tables --------------------------------------------------------------------------------

_CREATE_TABLE = re.compile(r"\bCREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)\b")
# A table named after FROM, JOIN, INTO or UPDATE in any string of the module's source
# (SQL lives in string literals here); schema-qualified names (rm_plans.x) are read models
# reached through their package's own functions and are not matched.
_TABLE_USE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_][a-z0-9_]*)\b(?!\.)")


@dataclass(frozen=True, order=True)
class TableUse:
    module: str
    table: str

    def __str__(self) -> str:
        return f"{self.module} uses table {self.table}"


# Tables used outside their owner today, each with why and who removes it. Empty since
# h/perf gave the EventStore protocol read_leaves and count_by_data (export proofs,
# refused-attempt tallies); recipients come through a port (api/recipients.py) and the
# notifications read model through activities/notification_records.py.
KNOWN_TABLE_USES: dict[TableUse, str] = {}


def table_owners() -> dict[str, str]:
    owners: dict[str, str] = {}
    for package in shipped_packages():
        for migration in sorted((ROOT / package).glob("migrations/*.sql")):
            for table in _CREATE_TABLE.findall(migration.read_text()):
                owners[table] = package
    return owners


def tables_used_in(source: str) -> set[str]:
    used: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            used.update(_TABLE_USE.findall(node.value))
    return used


def foreign_table_uses() -> set[TableUse]:
    owners = table_owners()
    uses: set[TableUse] = set()
    for package in shipped_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            module = module_name(path)
            for table in tables_used_in(path.read_text()):
                owner = owners.get(table)
                if owner is not None and owner != package:
                    uses.add(TableUse(module, table))
    return uses


def test_migrations_name_the_tables_the_rule_is_about() -> None:
    owners = table_owners()
    assert owners["events"] == "eventstore"
    assert owners["projection_checkpoints"] == "projections"


def test_no_package_reads_another_packages_table_beyond_the_known_list() -> None:
    new = sorted(str(use) for use in foreign_table_uses() if use not in KNOWN_TABLE_USES)
    assert new == []


def test_every_known_table_use_still_exists() -> None:
    found = foreign_table_uses()
    assert sorted(str(use) for use in KNOWN_TABLE_USES if use not in found) == []


def test_the_table_scan_reads_sql_in_plain_and_formatted_strings() -> None:
    source = (
        'A = "SELECT count(*) FROM events WHERE x"\n'
        'B = f"INSERT INTO users (name) VALUES ({1})"\n'
        'C = "UPDATE rm_plans.summary SET x = 1"\n'
        'D = "read from the events table"\n'
    )
    assert tables_used_in(source) == {"events", "users"}


# -- where stores are built ------------------------------------------------------------

# The entry points build the event store once, on the pool they made, and pass it in
# (ApiContext.store, build_worker's store=): a store built deeper down hides which pool and
# which upcasters it uses, and cannot be swapped for the in-memory one. Test and benchmark
# support are not shipped and build their own.
STORE_CLASSES = frozenset({"PostgresEventStore"})
MAY_BUILD_STORES = frozenset({"workers"})


def stores_built_in(source: str) -> int:
    """How many times the source calls a store class (by name or through its module)."""
    built = 0
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            called = node.func
            name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", None)
            built += name in STORE_CLASSES
    return built


def modules_building_stores() -> list[str]:
    return sorted(
        module_name(path)
        for package in shipped_packages()
        if package not in MAY_BUILD_STORES
        for path in sorted((ROOT / package).rglob("*.py"))
        if stores_built_in(path.read_text())
    )


def test_only_the_entry_points_build_an_event_store() -> None:
    assert modules_building_stores() == []


def test_the_store_scan_sees_every_form_of_construction() -> None:
    source = (
        "import eventstore\n"
        "from eventstore import PostgresEventStore\n"
        "a = PostgresEventStore(pool)\n"
        "b = eventstore.PostgresEventStore(pool, upcasters=u)\n"
        "c: PostgresEventStore = store  # a type, not a construction\n"
    )
    assert stores_built_in(source) == 2
    assert stores_built_in((ROOT / "workers" / "processes.py").read_text()) > 0
