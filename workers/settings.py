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

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()


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
    return settings
