"""Run-time failures of models: officials get a plain message, the process owner the detail.

A failure rolls back everything the request did, then is recorded in its own transaction (and
logged), so that the process owner finds it on the processes page however the request ended.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session

from workflow import store
from workflow.errors import EngineFailure
from workflow.models import Event, User, utcnow
from workflow.roles import Role
from workflow.services import commit

log = logging.getLogger(__name__)
SHOWN = 50


@contextmanager
def reported(session: Session, during: str, zone_id: int | None = None, instance_id: int | None = None,
             actor: User | None = None) -> Iterator[None]:
    """Run a use case; if the model fails, undo it, record the failure, and let the plain message through.

    ``zone_id`` and ``instance_id`` must name rows that existed before the use case began.
    """
    actor_name = actor.username if actor else "system"
    try:
        yield
    except EngineFailure as exc:
        session.rollback()
        record(session, exc, during, zone_id, instance_id, actor_name)
        raise


def record(session: Session, failure: EngineFailure, during: str, zone_id: int | None = None,
           instance_id: int | None = None, actor: str = "system", now: datetime | None = None) -> None:
    """Write one failure for the process owner, in its own transaction."""
    log.error("model failure during %s (zone %s, instance %s, process %s, element %s): %s", during, zone_id,
              instance_id, failure.process or "-", failure.element_id or "-", failure)
    store.add_event(session, Event(
        kind=store.MODEL_FAILURE, at=now or utcnow(), zone_id=zone_id, instance_id=instance_id, actor=actor,
        bpmn_id=failure.element_id[:100] or None, comment=str(failure)[:2000],
        data={"process": failure.process, "during": during},
    ))
    commit(session)


def recent(session: Session, user: User) -> Sequence[Event]:
    """The latest failures, for process owners and administrators only (they quote the models)."""
    if not user.has(Role.PROCESS_OWNER, Role.ADMIN):
        return []
    return store.model_failures(session, SHOWN)
