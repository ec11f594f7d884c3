"""The audit log: refusals written here, the administrator's view of every event and of the chain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import chain, store
from workflow.models import Event, User
from workflow.services import commit
from workflow.services.accounts import ensure_admin

PAGE = 100


def denied(session: Session, user: User | None, ip: str, method: str, path: str, status: int, reason: str) -> None:
    """Record a refused request (401/403/404 from a scope check/429), in its own transaction."""
    session.rollback()
    store.add_event(session, Event(
        kind="access_denied", actor=user.username if user else "", actor_id=user.id if user else None,
        role=user.role_label if user else "", organisation=user.organisation.name if user else "",
        ip=ip, comment=reason[:500], data={"method": method, "path": path[:500], "status": status},
    ))
    commit(session)


@dataclass
class AuditPage:
    """One page of the log, newest first, and the state of the chain."""

    events: Sequence[Event]
    head: chain.Head
    verdict: chain.Verdict | None
    older: int | None  # the ``before`` of the next page, None on the last


def page(session: Session, admin: User | None, kinds: Sequence[str] | None, before: int | None = None,
         verify: bool = False, limit: int = PAGE) -> AuditPage:
    """Events of the given kinds (all when None) older than event ``before``; the whole chain checked on request."""
    ensure_admin(admin)
    query = select(Event).order_by(Event.id.desc()).limit(limit + 1)
    if kinds is not None:
        query = query.where(Event.kind.in_(list(kinds)))
    if before is not None:
        query = query.where(Event.id < before)
    events = list(session.scalars(query))
    connection = session.connection()
    verdict = chain.verify(connection) if verify else None
    older = events[limit - 1].id if len(events) > limit else None
    return AuditPage(events[:limit], chain.head(connection), verdict, older)
