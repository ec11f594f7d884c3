"""E-mail of notifications, sent by the worker through the configured SMTP server: at most once each.

A worker claims a row with a conditional UPDATE (like the overdue note on a task) before it sends; a
claimed row is never claimed again unless the server refused it, so two workers never send one mail
twice, and a worker killed between sending and noting it leaves the mail unsent rather than doubled.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update

from workflow.db import Database
from workflow.models import MailOutbox
from workflow.services import commit

MAX_AGE = timedelta(days=2)  # older mail is left unsent: news of a task two days late helps nobody
MAX_ATTEMPTS = 5
BATCH = 100
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Smtp:
    """Where mail goes (``WORKFLOW_SMTP_*``); no host, no mail."""

    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    sender: str = "workflow@localhost"
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Smtp | None:
        if not settings.get("SMTP_HOST"):
            return None
        return cls(settings["SMTP_HOST"], int(settings["SMTP_PORT"]), settings["SMTP_USER"],
                   settings["SMTP_PASSWORD"], settings["SMTP_FROM"], bool(settings["SMTP_STARTTLS"]))


def deliver(db: Database, now: datetime, smtp: Smtp | None) -> int:
    """Send what is waiting (newer than MAX_AGE); each row in its own transactions. How many were sent."""
    if smtp is None:
        return 0
    with db.session() as session:
        waiting = list(session.scalars(
            select(MailOutbox.id).where(MailOutbox.sent_at.is_(None), MailOutbox.claimed_at.is_(None),
                                        MailOutbox.attempts < MAX_ATTEMPTS, MailOutbox.created_at >= now - MAX_AGE)
            .order_by(MailOutbox.id).limit(BATCH)))
    return sum(_deliver_one(db, mail_id, now, smtp) for mail_id in waiting)


def _deliver_one(db: Database, mail_id: int, now: datetime, smtp: Smtp) -> bool:
    with db.session() as session:
        claimed = session.execute(
            update(MailOutbox).where(MailOutbox.id == mail_id, MailOutbox.claimed_at.is_(None),
                                     MailOutbox.sent_at.is_(None))
            .values(claimed_at=now, attempts=MailOutbox.attempts + 1)
            .execution_options(synchronize_session=False)).rowcount == 1
        commit(session)
        if not claimed:
            return False  # another worker has it
        mail = session.get(MailOutbox, mail_id)
        message = _message(mail, smtp)
    try:
        send(smtp, message)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("mail %s to %s not sent: %s", mail_id, message["To"], exc)
        _note(db, mail_id, claimed_at=None, error=str(exc)[:500])  # free for another attempt
        return False
    _note(db, mail_id, sent_at=now, error="")
    return True


def _message(mail: MailOutbox, smtp: Smtp) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = smtp.sender, mail.to_addr, mail.subject
    message["Message-ID"] = f"<notification-{mail.id}@{smtp.sender.rpartition('@')[2] or 'localhost'}>"
    message.set_content(mail.body)
    return message


def send(smtp: Smtp, message: EmailMessage) -> None:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.user:
            client.login(smtp.user, smtp.password)
        client.send_message(message)


def _note(db: Database, mail_id: int, **values: Any) -> None:
    with db.session() as session:
        session.execute(update(MailOutbox).where(MailOutbox.id == mail_id).values(**values)
                        .execution_options(synchronize_session=False))
        commit(session)
