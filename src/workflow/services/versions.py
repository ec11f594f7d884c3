"""Deployed versions as process owners review them: who, when, why, how many instances run on each, what changed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow import modeldiff
from workflow.errors import InvalidForm, Msg, NotFound
from workflow.models import ProcessInstance, ProcessVersion
from workflow.services import deploy


@dataclass(frozen=True)
class Row:
    version: ProcessVersion
    running: int  # instances not completed that run on it
    current: bool


def running_counts(session: Session) -> dict[int, int]:
    """Version id -> how many running (not completed) instances are pinned to it."""
    query = (select(ProcessInstance.process_version_id, func.count()).where(ProcessInstance.completed.is_(False))
             .group_by(ProcessInstance.process_version_id))
    return {version_id: count for version_id, count in session.execute(query)}


def listing(session: Session) -> list[Row]:
    """Every deployed version, oldest first, with its running instances and whether it is current."""
    found = deploy.versions(session)
    current, counts = deploy.current_ids(found), running_counts(session)
    return [Row(v, counts.get(v.id, 0), v.id in current) for v in found]


@dataclass(frozen=True)
class Comparison:
    old: ProcessVersion
    new: ProcessVersion
    diff: modeldiff.Diff


def compare(session: Session, old_id: int, new_id: int) -> Comparison:
    """Two versions of one process and what changed from the first to the second."""
    old, new = deploy.version(session, old_id), deploy.version(session, new_id)
    if old.process_id != new.process_id:
        raise InvalidForm(Msg("只能比较同一流程的两个版本"), {"new": Msg("不是同一流程的版本")})
    return Comparison(old, new, modeldiff.compare(old.source, new.source))


def by_reference(session: Session, reference: str) -> ProcessVersion:
    """A version named as the command line names it: ``process_id:version`` (e.g. ``zone_lifecycle:2``) or its id."""
    process_id, _, number = reference.rpartition(":")
    if not number.isascii() or not number.isdigit():
        raise InvalidForm(Msg("版本应写作 流程:版本号"), {"version": Msg("应写作 流程:版本号")})
    if not process_id:
        return deploy.version(session, int(number))
    found = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                        ProcessVersion.version == int(number)))
    if found is None:
        raise NotFound(Msg("没有这个流程版本"))
    return found
