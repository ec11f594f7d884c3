"""What people add to a zone beside the process: files (stored once by content hash) and comments."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.models.base import Base, utcnow

if TYPE_CHECKING:
    from workflow.models.accounts import User


class Blob(Base):
    """A file's bytes, keyed by their SHA-256: the same document attached twice is stored once."""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A file attached to a zone, directly or through a task's form field."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_zone_at", "zone_id", "uploaded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    field: Mapped[str | None] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    blob: Mapped[Blob] = relationship()
    uploaded_by: Mapped[User | None] = relationship(lazy="selectin")


class Comment(Base):
    """A remark on a zone (about one of its tasks, when it names one); shown to everyone who may see the zone."""

    __tablename__ = "zone_comment"
    __table_args__ = (Index("ix_zone_comment_zone_at", "zone_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))

    author: Mapped[User] = relationship(lazy="selectin")
