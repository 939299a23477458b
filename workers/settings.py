"""All process settings in one place, read from ``ACIP_`` environment variables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


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

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def resolved_checkpoint_key_file(self) -> Path:
        return self.checkpoint_key_file or self.resolved_home / "keys" / "checkpoint.pem"

    @property
    def resolved_witness_home(self) -> Path:
        return self.witness_home or self.resolved_home / "witness"


STACK_FILE = "stack.json"


def load_settings() -> Settings:
    """Settings from the environment; what is unset is taken from a running `acip up`.

    `acip up` writes the addresses of its embedded PostgreSQL and Temporal server to
    ``$ACIP_HOME/stack.json``, so `acip users add` or `acip audit verify` in a second
    terminal find them without exporting anything.
    """
    settings = Settings()
    stack_file = settings.resolved_home / STACK_FILE
    if stack_file.exists() and not (settings.database_url and settings.temporal_address):
        try:
            running = json.loads(stack_file.read_text())
        except (OSError, ValueError):
            return settings
        settings.database_url = settings.database_url or str(running.get("database_url", ""))
        settings.temporal_address = settings.temporal_address or str(
            running.get("temporal_address", "")
        )
        settings.witness_url = settings.witness_url or str(running.get("witness_url", ""))
    return settings
