"""Moving running instances to another version of their process: a dry run, the bulk move, and the way back."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import store
from workflow.engine import Run, migration
from workflow.errors import Conflict, EngineFailure, InvalidForm, Msg, NotFound, PermissionDenied
from workflow.models import Event, InstanceMigration, ProcessInstance, ProcessVersion, User, utcnow
from workflow.modelxml import resolve
from workflow.roles import Role
from workflow.services import commit, deploy, instances, progress

MAX_BATCH = 10_000


@dataclass
class Verdict:
    """One instance in a migration: whether it can move (dry run) or moved, and if not, why."""

    instance: ProcessInstance
    reasons: list[str] = field(default_factory=list)  # "completed", "same_version", "changed:<id>", ...
    moved: bool = False

    @property
    def ok(self) -> bool:
        return not self.reasons


def _ensure_owner(user: User) -> None:
    if not user.has(Role.PROCESS_OWNER):
        raise PermissionDenied(Msg("只有流程管理员可以迁移流程实例"))


def _chosen(session: Session, target: ProcessVersion, instance_ids: Sequence[int],
            from_version_id: int | None) -> list[ProcessInstance]:
    if bool(instance_ids) == (from_version_id is not None):
        raise InvalidForm(Msg("请选择实例，或选择一个版本上的全部实例"),
                          {"instances": Msg("实例与版本二选一")})
    query = select(ProcessInstance).order_by(ProcessInstance.id)
    if from_version_id is not None:
        source = deploy.version(session, from_version_id)
        query = query.where(ProcessInstance.process_version_id == source.id, ProcessInstance.completed.is_(False))
    else:
        query = query.where(ProcessInstance.id.in_(list(instance_ids)[:MAX_BATCH]))
    found = list(session.scalars(query.limit(MAX_BATCH)))
    missing = set(instance_ids) - {i.id for i in found}
    if missing:
        raise NotFound(Msg("没有这些流程实例：%(ids)s", ids=", ".join(map(str, sorted(missing)))))
    return found


def _judge(instance: ProcessInstance, target: ProcessVersion) -> tuple[Verdict, Run | None]:
    verdict = Verdict(instance)
    if instance.process_version.process_id != target.process_id:
        verdict.reasons.append("other_process")
    elif instance.process_version_id == target.id:
        verdict.reasons.append("same_version")
    elif instance.completed:
        verdict.reasons.append("completed")
    if verdict.reasons:
        return verdict, None
    try:
        # From a copy: restoring takes entries out of the saved state's nested dicts, and moving changes them.
        run = deploy.model_for(instance.process_version).restore(copy.deepcopy(instance.state))
    except EngineFailure:
        verdict.reasons.append("unreadable")
        return verdict, None
    verdict.reasons.extend(f"{b.reason}:{b.element_id}" for b in migration.check(run, deploy.model_for(target)))
    return verdict, run


def plan(session: Session, user: User, target_id: int, instance_ids: Sequence[int] = (),
         from_version_id: int | None = None) -> tuple[ProcessVersion, list[Verdict]]:
    """The dry run: which of the chosen instances can move to the target version, and why the others cannot."""
    _ensure_owner(user)
    target = deploy.version(session, target_id)
    return target, [_judge(i, target)[0] for i in _chosen(session, target, instance_ids, from_version_id)]


def migrate(session: Session, user: User, target_id: int, instance_ids: Sequence[int] = (),
            from_version_id: int | None = None, now: datetime | None = None) -> tuple[ProcessVersion, list[Verdict]]:
    """Move every chosen instance that can move; each move is kept (for the way back) and in its zone's history."""
    _ensure_owner(user)
    now = now or utcnow()
    target = deploy.version(session, target_id)
    verdicts = []
    for instance in _chosen(session, target, instance_ids, from_version_id):
        verdict, run = _judge(instance, target)
        if run is not None and verdict.ok:
            _move(session, user, instance, run, target, verdict, now)
        verdicts.append(verdict)
    commit(session)
    return target, verdicts


def _move(session: Session, user: User, instance: ProcessInstance, run: Run, target: ProcessVersion,
          verdict: Verdict, now: datetime) -> None:
    """One instance onto the target, in a savepoint: a model failure leaves it where it was and says why."""
    source, before = instance.process_version, instance.state  # untouched: the run was restored from a copy
    try:
        with session.begin_nested():
            moved, done = migration.migrate(run, deploy.model_for(target), now)
            instance.process_version = target
            progress.settle(session, instance, moved, instance.zone, now, done, user)
            _refresh_open_tasks(session, instance, moved)
            session.flush()
            record = InstanceMigration(instance_id=instance.id, from_version_id=source.id, to_version_id=target.id,
                                       state_before=before, row_version_after=instance.version, at=now,
                                       actor_id=user.id)
            session.add(record)
            session.flush()
            store.add_event(session, _event("instance_migrated", user, instance, source, target, record, now))
    except EngineFailure as exc:
        session.expire(instance)
        verdict.reasons.append(f"failed:{exc.element_id or ''}")
        return
    verdict.moved = True


def _refresh_open_tasks(session: Session, instance: ProcessInstance, run: Run) -> None:
    """Open tasks the move kept take their names, lane, stage and candidates from the new version."""
    ready = {t.engine_id: t for t in run.ready_tasks()}
    for row in store.open_tasks(session, instance.id):
        task = ready.get(row.engine_id)
        if task is None:
            continue
        el = task.element
        row.name, row.name_en, row.lane, row.lane_en = el.name or el.id, el.name_en, el.lane, el.lane_en
        row.stage = instances.stage_of(el, instance.zone)
        row.priority_rank = -instances.priority_of(el)
        row.candidates.clear()
        store.drop_keys(session, row.id)  # offered anew under the new version's candidates
        session.flush()
        store.add_task(session, row, resolve(el.groups, task.data),
                       resolve(el.candidate_users, task.data))


def _event(kind: str, user: User, instance: ProcessInstance, source: ProcessVersion, target: ProcessVersion,
           record: InstanceMigration, now: datetime) -> Event:
    return Event(kind=kind, at=now, zone_id=instance.zone_id, instance_id=instance.id, actor_id=user.id,
                 actor=user.username, role=user.role_label, organisation=user.organisation.name,
                 organisation_en=user.organisation.name_en,
                 comment=f"{source.process_id} v{source.version} → v{target.version}",
                 data={"from_version": source.version, "to_version": target.version, "migration": record.id})


def rollback(session: Session, user: User, instance_id: int, now: datetime | None = None) -> InstanceMigration:
    """Move an instance back to where its latest migration took it from, if nothing happened to it since."""
    _ensure_owner(user)
    now = now or utcnow()
    record = session.scalar(select(InstanceMigration).where(InstanceMigration.instance_id == instance_id)
                            .order_by(InstanceMigration.id.desc()).limit(1))
    if record is None or record.rolled_back_at is not None:
        raise NotFound(Msg("这个流程实例没有可撤销的迁移"))
    instance = record.instance
    if instance.version != record.row_version_after:
        raise Conflict(Msg("这个流程实例迁移后已有进展，不能撤销迁移"))
    run = deploy.model_for(record.from_version).restore(copy.deepcopy(record.state_before))
    instance.process_version = record.from_version
    instances.save(session, instance, run, instance.zone, now)
    _refresh_open_tasks(session, instance, run)
    record.rolled_back_at = now
    store.add_event(session, _event("migration_rolled_back", user, instance, record.to_version, record.from_version,
                                    record, now))
    commit(session)
    return record


def recent(session: Session, user: User, limit: int = 50) -> list[InstanceMigration]:
    """The latest migrations, newest first (for the process owner's page)."""
    _ensure_owner(user)
    return list(session.scalars(select(InstanceMigration).order_by(InstanceMigration.id.desc()).limit(limit)))
