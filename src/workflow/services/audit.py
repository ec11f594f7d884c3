"""The audit trail of refusals (logins and zone history are written by their own services)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflow import store
from workflow.models import Event, User
from workflow.services import commit


def denied(session: Session, user: User | None, ip: str, method: str, path: str, status: int, reason: str) -> None:
    """Record a refused request (401/403/404 from a scope check/429), in its own transaction."""
    session.rollback()
    store.add_event(session, Event(
        kind="access_denied", actor=user.username if user else "", actor_id=user.id if user else None,
        role=user.role_label if user else "", organisation=user.organisation.name if user else "",
        ip=ip, comment=reason[:500], data={"method": method, "path": path[:500], "status": status},
    ))
    commit(session)
