"""The audit log: refusals written here, the administrator's view of every event and of the chain.

Refusals of requests that carry no login cost an attacker nothing, so they are counted per address and
minute: the first few of each minute are kept in full, the rest only raise the count.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import chain, store
from workflow.models import Event, User, utcnow
from workflow.services import commit

PAGE = 100

IN_FULL_PER_MINUTE = 3


def address_key(ip: str) -> str:
    """The address refusals are counted under: IPv4 addresses as they are, IPv6 ones by their /64 network."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return (ip or "-")[:64]
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def refused(session: Session, event: Event, now: datetime | None = None) -> None:
    """Record a refusal of a request without a login (no commit): counted, and kept in full while few."""
    now = now or utcnow()
    minute = now.replace(second=0, microsecond=0)
    summary = f"{event.kind} {event.actor} {event.data.get('method', '')} {event.data.get('path', '')}".strip()
    if store.tally_refusal(session, address_key(event.ip or ""), minute, now, summary) <= IN_FULL_PER_MINUTE:
        store.add_event(session, event)


def denied(session: Session, user: User | None, ip: str, method: str, path: str, status: int, reason: str) -> None:
    """Record a refused request (401/403/404 from a scope check/429), in its own transaction."""
    session.rollback()
    event = Event(
        kind="access_denied", actor=user.username if user else "", actor_id=user.id if user else None,
        role=user.role_label if user else "", organisation=user.organisation.name if user else "",
        ip=ip, comment=reason[:500], data={"method": method, "path": path[:500], "status": status},
    )
    if user is None:
        refused(session, event)
    else:
        store.add_event(session, event)
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
    from workflow.services.accounts import ensure_admin  # accounts records logins through this module

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
