"""Queries and writes for a zone's files and comments; never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow.models import Attachment, Blob, Comment, utcnow
from workflow.store import MAX_ID


def keep_blob(session: Session, sha256: str, content: bytes) -> None:
    """Store the bytes under their hash unless they are there already (also when another worker adds them now)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Blob).values(sha256=sha256, size=len(content), content=content, created_at=utcnow())
    session.execute(statement.on_conflict_do_nothing(index_elements=["sha256"]))


def attachments(session: Session, zone_id: int) -> Sequence[Attachment]:
    """A zone's files, oldest first."""
    return session.scalars(select(Attachment).where(Attachment.zone_id == zone_id)
                           .order_by(Attachment.uploaded_at, Attachment.id)).all()


def attachment(session: Session, zone_id: int, attachment_id: int) -> Attachment | None:
    """One file of the zone; None for a file of another zone or none at all."""
    if not 0 < attachment_id <= MAX_ID:
        return None
    return session.scalar(select(Attachment).where(Attachment.id == attachment_id, Attachment.zone_id == zone_id))


def content(session: Session, sha256: str) -> bytes:
    return session.scalar(select(Blob.content).where(Blob.sha256 == sha256)) or b""


def comments(session: Session, zone_id: int) -> Sequence[Comment]:
    """A zone's comments, oldest first."""
    return session.scalars(select(Comment).where(Comment.zone_id == zone_id).order_by(Comment.at, Comment.id)).all()
