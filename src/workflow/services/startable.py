"""Processes a process owner marks startable for a zone (property ``startable``): new kinds of case, no code.

The process property ``startable`` lists the zone statuses in which the process may be started
(``operating``, ...), or ``any``. Whoever is a candidate of its first task starts it for a zone
they may see, by filling that task's form; what follows (records, statuses, timers, further
processes) comes from the same model properties as in the built-in processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow import access, forms, store
from workflow.engine import Model
from workflow.errors import Conflict, Msg, NotFound, PermissionDenied
from workflow.models import ProcessInstance, ProcessVersion, User, Zone, ZoneStatus, utcnow
from workflow.modelxml import Element
from workflow.services import commit, deploy, failures, progress

PROPERTY = "startable"
REFUSAL = Msg("只有该流程第一个环节的办理人可以启动它")
ANY = "any"


def statuses(model: Model) -> set[str] | None:
    """The zone statuses the model may be started in (all of them for ``any``), or None when it is not startable."""
    raw = model.properties.get(PROPERTY, "").strip()
    if not raw:
        return None
    values = {v.strip() for v in raw.split(",") if v.strip()}
    return {s.value for s in ZoneStatus} if ANY in values else values


def problems(model: Model) -> list[str]:
    """What is wrong with a model's ``startable`` property (checked at deploy)."""
    wanted = statuses(model)
    if wanted is None:
        return []
    unknown = wanted - {s.value for s in ZoneStatus}
    found = []
    if unknown:
        found.append(f"property startable: unknown zone status {', '.join(sorted(unknown))} (use "
                     f"{', '.join(s.value for s in ZoneStatus)} or any)")
    if model.first_task() is None:
        found.append("property startable: the process must begin with one user task (its candidates start it, "
                     "its form is what they fill)")
    return found


@dataclass(frozen=True)
class Startable:
    version: ProcessVersion
    element: Element  # the first task: its form begins the process


def _offered(session: Session, zone: Zone) -> list[Startable]:
    found = []
    for process_id in sorted(store.process_ids(session)):
        version, model = deploy.current(session, process_id)
        wanted, first = statuses(model), model.first_task()
        if wanted is not None and first is not None and zone.status.value in wanted:
            found.append(Startable(version, first))
    return found


def _visible(session: Session, user: User, zone_id: int) -> Zone:
    zone = store.visible_zone(session, user, zone_id)
    if zone is None:
        raise NotFound(Msg("没有这个试验区"))
    return zone


def available(session: Session, user: User, zone_id: int) -> list[Startable]:
    """The processes ``user`` may start for the zone now."""
    zone = _visible(session, user, zone_id)
    return [s for s in _offered(session, zone) if access.may_start(user, s.element.groups, s.element.candidate_users)]


def form(session: Session, user: User, zone_id: int, process_id: str) -> tuple[Zone, Startable]:
    """The zone and the form that starts ``process_id`` for it, if ``user`` may start it now."""
    zone = _visible(session, user, zone_id)
    chosen = next((s for s in _offered(session, zone) if s.version.process_id == process_id), None)
    if chosen is None:
        if process_id in store.process_ids(session):
            raise Conflict(Msg("流程 %(p)s 不能在试验区当前状态下启动", p=process_id))
        raise NotFound(Msg("流程 %(p)s 尚未部署", p=process_id))
    if not access.may_start(user, chosen.element.groups, chosen.element.candidate_users):
        raise PermissionDenied(REFUSAL)
    return zone, chosen


def start(session: Session, user: User, zone_id: int, process_id: str, raw: Mapping[str, Any], *,
          strict: bool = False, now: datetime | None = None) -> ProcessInstance:
    """Start the process for the zone and complete its first task with the form data, in one commit."""
    now = now or utcnow()
    zone, chosen = form(session, user, zone_id, process_id)
    data = forms.clean(chosen.element.form, raw, strict=strict)
    with failures.reported(session, f"starting {process_id}", zone.id, actor=user):
        version, run, task = progress.begin_for(session, user, zone, process_id, REFUSAL, now)
        instance = progress.finish_first(session, user, zone, version, run, task, data, now)
        commit(session)
    return instance
