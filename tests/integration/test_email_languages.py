"""E-mails arrive in each recipient's language: a reminder through the real workflow and
notification activity, on Temporal's time-skipping server, to an aiosmtpd inbox."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message

import asyncpg
from temporalio.testing import WorkflowEnvironment

from activities.notifications import SmtpSettings
from api.administration import InviteUser, invite
from api.invitations import Mailer, send_password_reset
from api.users import add_user, set_language
from domain import Actor, Role
from eventstore import PostgresEventStore
from tests.integration.test_reminders import Inbox, smtp_inbox  # noqa: F401 (the fixture)
from tests.support.ids import unique_country, unique_plan_id
from tests.support.plans import Lifecycle, Milestone, Stage, WorkflowPlan
from workers.temporal import build_worker


def _subject(message: Message) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


async def _wait_for(inbox: Inbox, count: int) -> None:
    for _ in range(200):
        if len(inbox.messages) >= count:
            return
        await asyncio.sleep(0.05)


async def test_a_french_speaking_focal_point_is_reminded_in_french(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    store: PostgresEventStore,
    smtp_inbox: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_inbox
    env = time_skipping_env
    day0 = (await env.get_current_time()).date()
    due = day0 + timedelta(days=30)
    plan_id = unique_plan_id(year=day0.year)
    lifecycle = Lifecycle.for_plan(
        plan_id,
        period_end=day0.replace(year=day0.year + 2),
        milestones=(Milestone("M1", due),),
    )
    country = lifecycle.country
    # Bamako's focal point reads French; a second focal point has chosen nothing, so the
    # deployment's default (Spanish here) applies to them.
    focal = lifecycle.cast.focal.name
    await add_user(pool, store, focal, Role.FOCAL_POINT, country, "awa@ml.example", "fr")
    await add_user(
        pool, store, f"{country.lower()}.deputy", Role.FOCAL_POINT, country, "d@ml.example"
    )
    await set_language(pool, f"{country.lower()}.deputy", None)

    async with build_worker(
        env.client,
        task_queue,
        pool,
        store=PostgresEventStore(pool),
        smtp=smtp,
        default_language="es",
    ):
        plan = WorkflowPlan(env.client, task_queue, lifecycle)
        await plan.advance(Stage.IMPLEMENTATION)
        start = await env.get_current_time()
        midnight0 = start.replace(hour=0, minute=0, second=0, microsecond=0)
        await env.sleep(midnight0 + timedelta(days=23, hours=1) - await env.get_current_time())
        await _wait_for(inbox, 2)
        # A plan left running with timers stops time skipping for every later test on the
        # session's shared server.
        await plan.send(plan.manager, type="cancel_plan", reason="End of the test")

    by_address = {str(m["To"]): m for m in inbox.messages}
    french = by_address["awa@ml.example"]
    assert _subject(french).startswith(f"[A-CPI {plan_id}] Le jalon « ")
    assert "arrive à échéance le" in _subject(french)
    body = _body(french)
    assert body.startswith("Rappel : le jalon « ")
    months = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
              "nov.", "déc."]  # fmt: skip
    assert f"{due.day} {months[due.month - 1]} {due.year}" in body  # the date, the French way
    assert "Programme Anti-Corruption et Promotion de l'Intégrité de l'OMD" in body

    spanish = by_address["d@ml.example"]
    assert _subject(spanish).startswith(f"[A-CIP {plan_id}] El hito «")
    assert "vence el" in _subject(spanish)

    recorded = await pool.fetch(
        "SELECT recipient, subject FROM notifications WHERE plan_id = $1 ORDER BY recipient",
        plan_id,
    )
    # The record keeps what each person was sent, in their language.
    by_recipient = {r["recipient"]: r["subject"].split("] ")[1][:6] for r in recorded}
    assert by_recipient == {
        lifecycle.cast.focal.name: "Le jal",
        f"{country.lower()}.deputy": "El hit",
    }


async def test_an_invitation_to_a_french_speaking_focal_point_arrives_in_french(
    pool: asyncpg.Pool,
    store: PostgresEventStore,
    smtp_inbox: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    """The inviter names the person's language; the invitation, then a password reset,
    reach them in it over real SMTP. Someone who chose nothing reads the deployment's."""
    inbox, smtp = smtp_inbox
    mailer = Mailer(public_url="http://acip.test", smtp=smtp, default_language="pt")
    country = unique_country(year=2026)
    manager = Actor(name="system", role=Role.SYSTEM)
    name = f"awa.{uuid.uuid4().hex[:8]}"
    command = InviteUser(
        name=name, email=f"{name}@ml.example", role=Role.FOCAL_POINT, country=country,
        reason="point focal de la douane", language="fr-ML",
    )  # fmt: skip
    person, url = await invite(pool, store, mailer, command, manager)
    assert person.language == "fr"
    await _wait_for(inbox, 1)
    french = inbox.messages[-1]
    assert _subject(french) == "Votre compte A-CPI"
    body = _body(french).replace("\r\n", "\n")  # SMTP writes lines with CRLF
    assert body.startswith("Bonjour,\n\nsystem vous invite aux plans d'action A-CPI de l'OMD")
    assert "en tant que point focal" in body and f"(nom du compte : {name})" in body
    assert url in body  # the link itself is never translated

    await send_password_reset(mailer, pool, name, f"{name}@ml.example", person.language)
    await _wait_for(inbox, 2)
    assert _subject(inbox.messages[-1]) == "Réinitialiser votre mot de passe A-CPI"

    undecided = f"deputy.{uuid.uuid4().hex[:8]}"
    await invite(pool, store, mailer,
        InviteUser(name=undecided, email=f"{undecided}@mz.example", role=Role.OBSERVER,
                   reason="joins the programme"),
        manager,
    )  # fmt: skip
    await _wait_for(inbox, 3)
    assert _subject(inbox.messages[-1]) == "A sua conta A-CIP"  # the deployment's default
