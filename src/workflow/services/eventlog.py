"""The event log of zones for process mining: one case per process instance, every recorded step in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow import access
from workflow.errors import Msg, NotFound
from workflow.models import Event, ProcessInstance, User, Zone
from workflow.services import disclosure
from workflow.store import MAX_ID

# XES lifecycle transitions (IEEE 1849 standard lifecycle model) of the kinds of event we record.
TRANSITIONS = {"task_completed": "complete", "automatic": "complete", "timer_fired": "complete",
               "task_claimed": "assign", "task_unclaimed": "reassign", "task_withdrawn": "withdraw",
               "task_reassigned": "reassign", "task_delegated": "reassign", "task_resolved": "reassign"}


@dataclass
class Case:
    """One process instance of a zone and its events, oldest first."""

    instance: ProcessInstance
    zone: Zone
    events: list[Event] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.instance.process_version.process_id}-{self.instance.id}"


def transition(kind: str) -> str:
    return TRANSITIONS.get(kind, "unknown")


def cases(session: Session, user: User | None, zone_id: int | None = None) -> list[Case]:
    """The cases of the zones ``user`` may see (all zones for the operator, ``user`` None), or of one zone."""
    query = select(Zone).order_by(Zone.id).options(selectinload(Zone.instances))
    if user is not None:
        query = query.where(access.zone_scope(user))
    if zone_id is not None:
        query = query.where(Zone.id == zone_id) if 0 < zone_id <= MAX_ID else query.where(False)
    zones = session.scalars(query).all()
    if zone_id is not None and not zones:
        raise NotFound(Msg("没有这个试验区"))
    found = {i.id: Case(i, z) for z in zones for i in z.instances}
    events = session.scalars(select(Event).where(Event.zone_id.in_([z.id for z in zones]),
                                                 Event.instance_id.is_not(None))
                             .order_by(Event.at, Event.id)) if zones else []
    reader = disclosure.Reader(user, [c.instance for c in found.values()]) if user is not None else None
    for event in events:
        if event.instance_id in found:
            found[event.instance_id].events.append(reader.row(event) if reader else event)
    return [c for c in found.values() if c.events]


def rows(found: Sequence[Case], lang: str = "zh") -> list[list[object]]:
    """The log as a table: one row per event, the case and its zone first."""
    table = []
    for case in found:
        version = case.instance.process_version
        for e in case.events:
            person = e.actor_user.display_name if e.actor_user else ""
            table.append([case.name, case.zone.id, case.zone.name, version.process_id, version.version,
                          case.instance.period_no or "", e.id, e.seq or "", e.at.isoformat(), e.label(lang),
                          e.bpmn_id or "", e.kind, transition(e.kind), e.actor or "system", person, e.role,
                          e.organisation_label(lang), e.decision or "", e.comment])
    return table


HEADER = ["case", "zone_id", "zone", "process", "version", "period", "event_id", "seq", "timestamp", "activity",
          "bpmn_id", "kind", "lifecycle", "resource", "person", "role", "organisation", "decision", "comment"]


def export(session: Session, user: User | None, zone_id: int | None, fmt: str,
           lang: str = "zh") -> tuple[bytes | str, str]:
    """The log as a file body and its media type: ``csv`` (UTF-8 with BOM) or ``xes``; names in ``lang``."""
    from workflow import exports, xes

    found = cases(session, user, zone_id)
    if fmt == "xes":
        return xes.document(found, lang=lang), "application/xml"
    return exports.to_csv(HEADER, rows(found, lang)), "text/csv"
