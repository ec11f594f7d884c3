"""Use cases, one module per noun; each public function commits once or not at all."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflow.errors import Conflict


def commit(session: Session) -> None:
    """Commit, leaving nothing half-saved when the commit loses a race (the session maps it to a 409)."""
    try:
        session.commit()
    except Conflict:
        session.rollback()
        raise
