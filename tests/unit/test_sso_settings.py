"""Single sign-on is off until an issuer is set, and the ACIP_OIDC_* settings reach the
API's account settings as they were written (docs/security.md "Running with it")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from workers.processes import account_settings
from workers.settings import Settings


def test_no_issuer_means_no_single_sign_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACIP_OIDC_ISSUER", raising=False)
    assert account_settings(Settings()).sso is None


def test_the_oidc_settings_configure_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACIP_OIDC_ISSUER", "https://login.example.org/realms/customs")
    monkeypatch.setenv("ACIP_OIDC_CLIENT_ID", "acip")
    monkeypatch.setenv("ACIP_OIDC_CLIENT_SECRET", "from the directory")
    monkeypatch.setenv("ACIP_OIDC_DISPLAY_NAME", "Customs Directory")
    monkeypatch.setenv("ACIP_OIDC_RECHECK_SECONDS", "120")
    monkeypatch.setenv("ACIP_OIDC_LINK_INVITED_BY_EMAIL", "false")
    sso = account_settings(Settings()).sso
    assert sso is not None
    assert sso.discovery == (
        "https://login.example.org/realms/customs/.well-known/openid-configuration"
    )
    assert (sso.client_id, sso.client_secret) == ("acip", "from the directory")
    assert sso.display_name == "Customs Directory"
    assert sso.recheck_every == timedelta(minutes=2)
    assert sso.link_invited_by_email is False
