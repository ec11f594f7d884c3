"""What officials keep about their inbox: saved filters, and substitutes while they are on leave."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.models.base import Base, utcnow

if TYPE_CHECKING:
    from workflow.models.accounts import User


class SavedFilter(Base):
    """A named inbox query of one user (the query string of the inbox page)."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Substitute(Base):
    """While ``absentee`` is on leave (dates inclusive, Asia/Shanghai), ``substitute`` sees and acts on their tasks."""

    __tablename__ = "substitute"
    __table_args__ = (Index("ix_substitute_active", "substitute_id", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    absentee_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    absentee: Mapped[User] = relationship(foreign_keys=[absentee_id], lazy="joined")
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id], lazy="joined")
