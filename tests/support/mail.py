"""E-mail on loopback, for the tests that read what was sent: an aiosmtpd server and its
mailbox, a free port (also for a port where nothing listens: SMTP down), the welcome link
an invitation carries.

    with smtp_server() as (inbox, smtp):   # smtp: the SmtpSettings the worker sends with
        ...
        link = await inbox.welcome_link("new.head@example.org")
"""

from __future__ import annotations

import contextlib
import re
import socket
from collections import Counter
from collections.abc import Iterator
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import AsyncMessage

from activities.notifications import SmtpSettings
from tests.support.polling import eventually

SENDER = "acip@test.example"
_WELCOME_LINK = re.compile(r"(\S*/ui/welcome/(\S+))")


def free_port() -> int:
    """A loopback port nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unfold(header: str) -> str:
    return " ".join(header.split())


class Inbox(AsyncMessage):
    """An SMTP server's mailbox on loopback: every message received, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []
        self.smtp: SmtpSettings | None = None  # how to send here, once served

    async def handle_message(self, message: Message) -> None:
        self.messages.append(message)

    def by_recipient_and_subject(self) -> Counter[tuple[str, str]]:
        """(To, Subject) of every message, headers unfolded (long subjects are folded)."""
        return Counter((str(m["To"]), unfold(str(m["Subject"]))) for m in self.messages)

    async def welcome_link(self, address: str, *, within: float = 10) -> str:
        """The /ui/welcome/... link of the latest e-mail to ``address``, once one arrived."""

        async def latest_link() -> str | None:
            for message in reversed(self.messages):
                if message["To"] == address:
                    found = _WELCOME_LINK.search(str(message.get_payload()))
                    assert found, message.get_payload()
                    return found.group(1)
            return None

        link = await eventually(latest_link, within=within, what=f"an e-mail to {address}")
        assert link is not None
        return link

    async def welcome_token(self, address: str) -> str:
        """The token at the end of the welcome link (what /ui/welcome/{token} takes)."""
        return (await self.welcome_link(address)).rsplit("/ui/welcome/", 1)[1]


@contextlib.contextmanager
def smtp_server(sender: str = SENDER) -> Iterator[tuple[Inbox, SmtpSettings]]:
    """An aiosmtpd server on 127.0.0.1 for the test's span; yields its inbox and the
    settings that send to it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.smtp = SmtpSettings(host="127.0.0.1", port=port, sender=sender)
    try:
        yield inbox, inbox.smtp
    finally:
        controller.stop()
