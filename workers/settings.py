"""All process settings in one place, read from ``ACIP_`` environment variables."""

from __future__ import annotations

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


def load_settings() -> Settings:
    return Settings()
