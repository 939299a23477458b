"""All process settings in one place, read from ``ACIP_`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from locales.catalogs import LANGUAGES, normalize


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACIP_", extra="ignore")

    home: Path = Path(".acip")
    # Empty means: start the embedded PostgreSQL / Temporal dev server under `home`.
    database_url: str = ""
    temporal_address: str = ""
    temporal_namespace: str = "default"
    task_queue: str = "acip-plans"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Where CLI commands reach the API; empty means http://api_host:api_port.
    api_url: str = ""
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    log_format: Literal["json", "console"] = "console"
    log_level: str = "info"
    smtp_url: str = ""
    smtp_sender: str = "acip@localhost"
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otlp_endpoint: str = ""
    metrics_port: int = 0
    public_url: str = ""
    # Sign-in (docs/security.md): a second factor for every role, not only programme
    # managers, heads of administration and auditors; the dashboard's access-token form.
    second_factor_for_everyone: bool = False
    dashboard_token_sign_in: bool = True
    # Set by `acip up --demo` only: the second factor is waived and every page says so.
    demo: bool = False
    # Single sign-on through an OpenID provider (docs/security.md "Single sign-on"); off
    # while oidc_issuer is empty. The redirect URI to register is <public_url>/ui/sso/callback.
    oidc_issuer: str = ""
    # Empty: <oidc_issuer>/.well-known/openid-configuration.
    oidc_discovery_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_display_name: str = "single sign-on"
    oidc_scopes: str = "openid email"
    # How often a session begun through the provider asks it again (seconds of activity).
    oidc_recheck_seconds: float = Field(default=300.0, ge=0)
    # Link an invited account at first sign-in by the provider's verified e-mail address.
    oidc_link_invited_by_email: bool = True
    # `acip up` gives up on a child that crashed this many times within this many seconds.
    up_max_crashes: int = Field(default=5, ge=1)
    up_crash_window: float = Field(default=60.0, gt=0)
    # The Merkle log's checkpoints (docs/eventstore.md "Checkpoints and the witness").
    log_origin: str = "acip"
    # Empty: ``<home>/keys/checkpoint.pem``, created (0600) on first run.
    checkpoint_key_file: Path | None = None
    checkpoint_interval: float = 30.0
    # Where the checkpointer submits checkpoints and verification fetches cosigned ones;
    # empty: none (checkpoints stay unwitnessed). `acip up` runs one on witness_port.
    witness_url: str = ""
    witness_host: str = "127.0.0.1"
    witness_port: int = 8091
    # Empty: ``<home>/witness``. The witness's own key and storage, never the database.
    witness_home: Path | None = None
    # The witness's public key (hex) as pinned by the auditor; empty: ask the witness.
    witness_public_key: str = ""
    # The language of the dashboard and e-mails for people who have not chosen one
    # (docs/languages.md): en, fr, es, pt or ar.
    default_language: str = "en"

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        code = normalize(value)
        if code is None:
            raise ValueError(f"ACIP_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")
        return code

    @property
    def link_base_url(self) -> str:
        """Where links in account e-mails point."""
        return self.public_url or f"http://{self.api_host}:{self.api_port}"

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def resolved_checkpoint_key_file(self) -> Path:
        return self.checkpoint_key_file or self.resolved_home / "keys" / "checkpoint.pem"

    @property
    def resolved_witness_home(self) -> Path:
        return self.witness_home or self.resolved_home / "witness"

    @property
    def resolved_api_url(self) -> str:
        return (self.api_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")


STACK_FILE = "stack.json"


class RunningStack(BaseModel):
    """What `acip up` writes to ``$ACIP_HOME/stack.json`` for commands in other terminals."""

    pid: int
    database_url: str
    temporal_address: str
    api_url: str
    witness_url: str = ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def read_running_stack(home: Path) -> RunningStack | None:
    """The stack `acip up` runs under ``home``; None when none does.

    A file left behind by an `acip up` that was killed outright names a process that is
    gone: it is ignored rather than sending commands to addresses nothing listens on."""
    try:
        running = RunningStack.model_validate_json((home / STACK_FILE).read_bytes())
    except (OSError, ValidationError):
        return None
    return running if _alive(running.pid) else None


def write_running_stack(home: Path, running: RunningStack) -> Path:
    path = home / STACK_FILE
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    # 0600: a database URL may carry a password.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(running.model_dump_json(indent=2) + "\n")
    temporary.replace(path)  # a reader never sees half a file
    return path


def load_settings() -> Settings:
    """Settings from the environment; what is unset is taken from a running `acip up`.

    `acip up` writes the addresses of its PostgreSQL, Temporal server and API to
    ``$ACIP_HOME/stack.json``, so `acip users add`, `acip plans list` or `acip audit verify`
    in a second terminal find them on any port without exporting anything. A setting given
    in the environment always wins over the file.
    """
    settings = Settings()
    running = read_running_stack(settings.resolved_home)
    if running is None:
        return settings
    given = settings.model_fields_set
    if "database_url" not in given:
        settings.database_url = running.database_url
    if "temporal_address" not in given:
        settings.temporal_address = running.temporal_address
    if "witness_url" not in given:
        settings.witness_url = running.witness_url
    if not given & {"api_url", "api_host", "api_port"}:
        settings.api_url = running.api_url
    return settings
