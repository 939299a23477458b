"""Languages through HTTP: API refusals follow Accept-Language (the rule stays its code),
the login page follows the browser, the switcher sets the cookie and the account, and the
users table carries each person's language to the recipient directory."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from api.language import LANGUAGE_COOKIE
from api.recipients import UserRecipientDirectory
from api.users import UserError, add_user, set_language
from domain import Role
from eventstore import PostgresEventStore
from tests.support.api_stack import API_YEAR, Stack, api_plan, running_stack
from tests.support.ids import unique_country
from tests.support.plans import Stage


@pytest.fixture(scope="module")
async def stack(dev_env: WorkflowEnvironment, pool: asyncpg.Pool) -> AsyncIterator[Stack]:
    async with running_stack(dev_env.client, pool) as stack:
        await stack.add_user("lang.manager", Role.PROGRAMME_MANAGER)
        yield stack


async def test_api_refusals_follow_accept_language_and_keep_their_rule(stack: Stack) -> None:
    plan_id = f"{unique_country(year=API_YEAR)}-{API_YEAR}"
    command = {"type": "complete_diagnostic"}
    async with stack.http("lang.manager") as http:
        answers = {
            language: await http.post(
                f"/plans/{plan_id}/commands", json=command, headers={"Accept-Language": language}
            )
            for language in ("fr-FR,fr;q=0.9", "es-HN", "pt-MZ", "en", "de")
        }
    bodies = {language: answer.json() for language, answer in answers.items()}
    assert {body["rule"] for body in bodies.values()} == {"plan_not_found"}
    assert bodies["fr-FR,fr;q=0.9"]["message"] == f"Il n'existe pas de plan {plan_id}."
    assert bodies["es-HN"]["message"] == f"No existe el plan {plan_id}."
    assert bodies["pt-MZ"]["message"] == f"Não existe o plano {plan_id}."
    # English, and a language we do not have, read the domain's own sentence.
    assert bodies["en"]["message"] == bodies["de"]["message"]
    assert bodies["en"]["message"] == f"There is no plan {plan_id}."
    assert answers["es-HN"].headers["content-language"] == "es"


async def test_the_login_page_follows_the_browser_and_the_switcher(stack: Stack) -> None:
    async with stack.http() as http:
        french = await http.get("/ui/login", headers={"Accept-Language": "fr"})
        assert '<html lang="fr" dir="ltr">' in french.text
        assert "Jeton d&#39;accès" in french.text or "Jeton d'accès" in french.text
        chosen = await http.post(
            "/ui/language",
            data={"language": "ar", "next": "/ui/login"},
            headers={"Accept-Language": "fr"},
        )
        assert chosen.status_code == 303 and chosen.headers["location"] == "/ui/login"
        assert chosen.cookies.get(LANGUAGE_COOKIE) == "ar"
        arabic = await http.get("/ui/login", headers={"Accept-Language": "fr"})
        assert '<html lang="ar" dir="rtl">' in arabic.text  # the choice beats the browser
        assert 'id="partly-translated"' in arabic.text


async def test_the_switcher_saves_the_choice_on_the_account(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    token = await stack.add_user("lang.focal", Role.FOCAL_POINT, unique_country(year=API_YEAR))
    async with stack.http() as http:
        signed_in = await http.post("/ui/login", data={"token": token, "next": "/ui/plans"})
        assert signed_in.status_code == 303, signed_in.text
        refused = await http.post("/ui/language", data={"language": "pt", "next": "/ui/plans"})
        assert refused.status_code == 403  # signed in: the form token is needed
        page = await http.get("/ui/plans")
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert form_token, "no form token on the page"
        chosen = await http.post(
            "/ui/language",
            data={"language": "pt", "next": "/ui/plans", "csrf_token": form_token.group(1)},
        )
        assert chosen.status_code == 303
        assert await pool.fetchval("SELECT language FROM users WHERE name = 'lang.focal'") == "pt"
        http.cookies.delete(LANGUAGE_COOKIE)
        page = await http.get("/ui/plans", headers={"Accept-Language": "es"})
        assert '<html lang="pt"' in page.text  # the account's language, in any browser


async def test_users_carry_their_language_to_the_recipient_directory(
    pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    country = unique_country(year=API_YEAR)
    await add_user(
        pool, store, f"{country.lower()}.awa", Role.FOCAL_POINT, country, "a@x.org", "fr-ML"
    )
    await add_user(pool, store, f"{country.lower()}.ben", Role.FOCAL_POINT, country, "b@x.org")
    with pytest.raises(UserError, match="language must be one of en, fr, es, pt, ar"):
        await add_user(pool, store, f"{country.lower()}.cy", Role.FOCAL_POINT, country, None, "de")
    assert await set_language(pool, f"{country.lower()}.ben", "PT") == "pt"
    recipients = await UserRecipientDirectory(pool).recipients_for(country, [Role.FOCAL_POINT])
    assert [(r.name.split(".")[1], r.language) for r in recipients] == [
        ("awa", "fr"),
        ("ben", "pt"),
    ]
    assert await set_language(pool, f"{country.lower()}.ben", None) is None
    with pytest.raises(UserError, match="no user named"):
        await set_language(pool, "nobody.here", "fr")


async def test_the_api_audit_trail_is_described_in_the_readers_language(stack: Stack) -> None:
    """Accept-Language writes the descriptions; the codes, the data and what people wrote
    read the same in every language, and each language has its own ETag."""
    country = unique_country(year=API_YEAR)
    focal, head = f"{country.lower()}.focal", f"{country.lower()}.head"
    await stack.add_user(focal, Role.FOCAL_POINT, country)
    await stack.add_user(head, Role.HEAD_OF_ADMINISTRATION, country)
    flow = api_plan(stack, country, focal=focal, head=head, manager="lang.manager")
    await flow.advance(Stage.OPENED)
    reason = "Le ministère a fusionné les deux directions"
    await flow.ok("lang.manager", type="cancel_plan", reason=reason)
    await stack.settle()
    async with stack.http("lang.manager") as http:
        url = f"/plans/{flow.plan_id}/audit"
        english = await http.get(url, headers={"Accept-Language": "en"})
        french = await http.get(url, headers={"Accept-Language": "fr-ML,fr;q=0.9"})
        again = await http.get(
            url, headers={"Accept-Language": "fr", "If-None-Match": english.headers["etag"]}
        )
    assert french.headers["content-language"] == "fr"
    assert french.headers["etag"] != english.headers["etag"]
    assert again.status_code == 200  # the English tag does not stand for the French page
    en_entries, fr_entries = english.json()["entries"], french.json()["entries"]
    assert [e["type"] for e in fr_entries] == [e["type"] for e in en_entries]
    assert [e["data"] for e in fr_entries] == [e["data"] for e in en_entries]
    assert en_entries[-1]["description"] == f"lang.manager cancelled the plan: {reason}."
    assert fr_entries[-1]["description"] == f"lang.manager a annulé le plan : {reason}."
    assert fr_entries[0]["description"] != en_entries[0]["description"]
