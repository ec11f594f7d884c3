"""The working-day calendar, in-app notifications and the e-mail outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.models.base import Base, utcnow

if TYPE_CHECKING:
    from workflow.models.process import HumanTask
    from workflow.models.zone import Zone


class CalendarDay(Base):
    """A day that differs from the Monday–Friday week: a public holiday, or a weekend made a working day (调休)."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    working: Mapped[bool]
    name: Mapped[str] = mapped_column(String(100), default="")
    name_en: Mapped[str] = mapped_column(String(100), default="")


class Notification(Base):
    """One message in a user's in-app list; ``dedup`` makes a worker's reminder unique per task and person."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at", "id"),
                      Index("ix_notification_task_kind", "task_id", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    dedup: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    task: Mapped[HumanTask | None] = relationship(lazy="joined")
    zone: Mapped[Zone | None] = relationship(lazy="joined")


class MailOutbox(Base):
    """An e-mail waiting for the worker; a worker claims it conditionally, so it is sent at most once."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_pending", "sent_at", "claimed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id", ondelete="SET NULL"))
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
