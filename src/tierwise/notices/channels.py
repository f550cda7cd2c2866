"""How notices leave the house: a channel takes a finished message; SMTP for mail, a folder of
.eml files for tests and for handing the messages to another system."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Protocol

from tierwise.config import Settings

SMTP_SECONDS = 30


@dataclass(frozen=True)
class Outgoing:
    """One notice ready to send: who to, what it says and the statement to attach."""

    notice_id: int
    to: str
    to_name: str
    subject: str
    body: str
    statement_html: str
    statement_name: str


def message_of(outgoing: Outgoing, sender: str) -> EmailMessage:
    """The notice as a mail: the text, and the statement attached as an HTML file."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((outgoing.to_name, outgoing.to))
    message["Subject"] = outgoing.subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(outgoing.body)
    message.add_attachment(
        outgoing.statement_html,
        subtype="html",
        disposition="attachment",
        filename=outgoing.statement_name,
    )
    return message


class Channel(Protocol):
    """Where approved notices go; `send` raises when a message could not be handed over."""

    @property
    def name(self) -> str:
        """What the notice records as the way it went out."""

    def send(self, outgoing: Outgoing) -> None:
        """Hand one message over."""


@dataclass(frozen=True)
class FileChannel:
    """Writes each message as notice-ID.eml, with its statement as notice-ID-statement.html."""

    folder: Path
    sender: str = "notices@tierwise.invalid"

    @property
    def name(self) -> str:
        """Recorded on each notice it writes."""
        return "file"

    def send(self, outgoing: Outgoing) -> None:
        """Write the message and the statement next to it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = self.folder / f"notice-{outgoing.notice_id}"
        eml = stem.with_name(stem.name + ".eml")
        eml.write_bytes(message_of(outgoing, self.sender).as_bytes())
        statement = stem.with_name(stem.name + "-statement.html")
        statement.write_text(outgoing.statement_html, "utf-8")


@dataclass(frozen=True)
class SmtpChannel:
    """Sends through a mail server: TLS on port 465, elsewhere STARTTLS when the server has it."""

    host: str
    port: int
    user: str | None
    password: str | None
    sender: str

    @property
    def name(self) -> str:
        """Recorded on each notice it sends."""
        return "smtp"

    def send(self, outgoing: Outgoing) -> None:
        """Deliver one message to the server (one connection per message keeps failures apart)."""
        message = message_of(outgoing, self.sender)
        server: smtplib.SMTP
        if self.port == smtplib.SMTP_SSL_PORT:
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_SECONDS)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=SMTP_SECONDS)
        with server:
            server.ehlo()
            if not isinstance(server, smtplib.SMTP_SSL) and server.has_extn("starttls"):
                server.starttls()
                server.ehlo()
            if self.user:
                server.login(self.user, self.password or "")
            server.send_message(message)


def smtp_from(settings: Settings) -> SmtpChannel | None:
    """The mail server the settings name (TIERWISE_SMTP_*), if they name one."""
    if not settings.smtp_host:
        return None
    return SmtpChannel(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_user,
        settings.smtp_password,
        settings.smtp_sender,
    )
