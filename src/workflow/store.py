"""Queries and writes; takes a session, never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, contains_eager, defaultload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from workflow import access
from workflow.errors import Msg, StaleInstance
from workflow.models import (
    NO_DUE_DATE,
    Adoption,
    ApiToken,
    CandidateKind,
    Event,
    Experience,
    HumanTask,
    LoginAttempt,
    Measure,
    ProcessInstance,
    ProcessVersion,
    RefusalTally,
    SavedFilter,
    Substitute,
    TaskCandidate,
    TaskKey,
    TaskStatus,
    User,
    Zone,
    ZoneRecord,
)
from workflow.roles import HQ_ROLES


def latest_version(session: Session, process_id: str) -> ProcessVersion | None:
    return session.scalar(
        select(ProcessVersion).where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc()).limit(1)
    )


def process_ids(session: Session) -> set[str]:
    """The ids of every process with a deployed version."""
    return set(session.scalars(select(ProcessVersion.process_id).distinct()))


def version_keys(session: Session) -> tuple[tuple[int, str], ...]:
    """Each deployed version's id and content hash (without its source): tells whether anything was deployed."""
    rows = session.execute(select(ProcessVersion.id, ProcessVersion.content_hash).order_by(ProcessVersion.id))
    return tuple((version_id, content_hash) for version_id, content_hash in rows)


def versions(session: Session) -> Sequence[ProcessVersion]:
    return session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version)).all()


def version_by_hash(session: Session, process_id: str, content_hash: str) -> ProcessVersion | None:
    """The newest version of a process with this content, if any."""
    return session.scalar(
        select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                     ProcessVersion.content_hash == content_hash)
        .order_by(ProcessVersion.version.desc()).limit(1)
    )


def next_version_number(session: Session, process_id: str) -> int:
    current = session.scalar(select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == process_id))
    return (current or 0) + 1


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def visible_zones(session: Session, user: User, limit: int | None = None, offset: int = 0,
                  province: str | None = None, status: str | None = None) -> Sequence[Zone]:
    query = (select(Zone).where(access.zone_scope(user)).options(selectinload(Zone.instances))
             .order_by(Zone.updated_at.desc(), Zone.id.desc()))
    if province:
        query = query.where(Zone.province == province)
    if status:
        query = query.where(Zone.status == status)
    return session.scalars(query.limit(limit).offset(offset)).all()


def count_visible_zones(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Zone).where(access.zone_scope(user))) or 0


MAX_ID = 2**31 - 1
SHANGHAI = ZoneInfo("Asia/Shanghai")


def visible_zone(session: Session, user: User, zone_id: int) -> Zone | None:
    if not 0 < zone_id <= MAX_ID:
        return None
    return session.scalar(select(Zone).where(Zone.id == zone_id, access.zone_scope(user)))


def visible_zone_ids(session: Session, user: User, zone_ids: Iterable[int]) -> frozenset[int]:
    """Those of ``zone_ids`` the user may open."""
    wanted = set(zone_ids)
    if not wanted:
        return frozenset()
    return frozenset(session.scalars(select(Zone.id).where(Zone.id.in_(wanted), access.zone_scope(user))))


def zone_by_name(session: Session, name: str) -> Zone | None:
    return session.scalar(select(Zone).where(Zone.name == name))


def absentees(session: Session, user: User, now: datetime) -> Sequence[User]:
    """Colleagues on leave today (Asia/Shanghai) whom the user stands in for."""
    today = now.astimezone(SHANGHAI).date()
    return session.scalars(select(User).join(Substitute, Substitute.absentee_id == User.id)
                           .where(Substitute.substitute_id == user.id, Substitute.starts_on <= today,
                                  Substitute.ends_on >= today, User.active.is_(True))).unique().all()


def substitutes_of(session: Session, user_id: int) -> Sequence[Substitute]:
    return session.scalars(select(Substitute).where(or_(Substitute.absentee_id == user_id,
                                                        Substitute.substitute_id == user_id,
                                                        Substitute.created_by_id == user_id))
                           .order_by(Substitute.starts_on.desc(), Substitute.id.desc())).all()


def users_of(session: Session, organisation_id: int) -> Sequence[User]:
    return session.scalars(select(User).where(User.organisation_id == organisation_id).order_by(User.username)).all()


def saved_filters(session: Session, user_id: int) -> Sequence[SavedFilter]:
    return session.scalars(select(SavedFilter).where(SavedFilter.user_id == user_id).order_by(SavedFilter.name)).all()


def saved_filter(session: Session, user_id: int, filter_id: int) -> SavedFilter | None:
    return session.scalar(select(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.user_id == user_id))


def actionable_task(session: Session, user: User, task_id: int, lock_instance: bool = False) -> HumanTask | None:
    """The task if the user may act on it (its candidates load when first used: completing needs none).

    With ``lock_instance`` the same statement also reads its process instance, locked until commit as
    :func:`instance_for_update` locks it (PostgreSQL; SQLite has no row locks), current and ready for a step;
    the people and organisation a step seldom needs (claimant, delegator, applicant) then load when used.
    """
    if not 0 < task_id <= MAX_ID:
        return None
    query = select(HumanTask).where(HumanTask.id == task_id, access.task_scope(user))
    if not lock_instance:
        return session.scalar(query.options(lazyload(HumanTask.candidates)))
    return session.scalar(query.join(HumanTask.instance)
                          .options(lazyload(HumanTask.candidates), contains_eager(HumanTask.instance),
                                   lazyload(HumanTask.claimed_by), lazyload(HumanTask.delegated_by),
                                   defaultload(HumanTask.zone).lazyload(Zone.applicant))
                          .with_for_update(of=ProcessInstance, key_share=True)
                          .execution_options(populate_existing=True))


def actionable_task_ids(session: Session, user: User, zone_id: int) -> Sequence[int]:
    """The open tasks of a zone that the user may act on."""
    return session.scalars(select(HumanTask.id).where(HumanTask.zone_id == zone_id,
                                                      HumanTask.status == TaskStatus.OPEN,
                                                      access.task_scope(user))).all()


def visible_task(session: Session, user: User, task_id: int) -> HumanTask | None:
    if not 0 < task_id <= MAX_ID:
        return None
    visible = select(Zone.id).where(Zone.id == HumanTask.zone_id, access.zone_scope(user)).exists()
    return session.scalar(select(HumanTask).where(HumanTask.id == task_id, visible))


def open_tasks(session: Session, instance_id: int) -> Sequence[HumanTask]:
    """An instance's open task rows alone (their zone, claimant and candidates load when first used)."""
    return session.scalars(_OPEN_TASKS, {"instance_id": instance_id}).all()


_OPEN_TASKS = (select(HumanTask).where(HumanTask.instance_id == bindparam("instance_id"),
                                       HumanTask.status == TaskStatus.OPEN)
               .options(lazyload("*")).order_by(HumanTask.id))


def zone_open_tasks(session: Session, zone_id: int) -> Sequence[HumanTask]:
    return session.scalars(
        select(HumanTask).where(HumanTask.zone_id == zone_id, HumanTask.status == TaskStatus.OPEN)
        .order_by(HumanTask.id)
    ).all()


def add_task(session: Session, task: HumanTask, groups: Sequence[str], users: Sequence[str]) -> None:
    """Add an open task with its candidates, the zone's data the inbox filters on, and the keys it is offered under."""
    task.candidates = [TaskCandidate(kind=CandidateKind.GROUP, name=g) for g in groups] + [
        TaskCandidate(kind=CandidateKind.USER, name=u) for u in users
    ]
    _copy_zone(task, task.zone)
    task.due_sort = task.due_at or NO_DUE_DATE
    task.shared = len(set(groups) & {r.value for r in HQ_ROLES}) > 1
    session.add(task)
    _add_keys(session, task)


def _copy_zone(task: HumanTask, zone: Zone) -> None:
    task.province, task.applicant_id, task.zone_name = zone.province, zone.applicant_id, zone.name


def _add_keys(session: Session, task: HumanTask) -> None:
    groups = [c.name for c in task.candidates if c.kind == CandidateKind.GROUP]
    users = [c.name for c in task.candidates if c.kind == CandidateKind.USER]
    keys = access.task_keys(groups, users, task.assignee, task.province, task.applicant_id)
    session.add_all(TaskKey(key=k, task=task) for k in sorted(keys))


def drop_keys(session: Session, task_id: int) -> None:
    """A task that is no longer open leaves every inbox."""
    session.execute(_DROP_KEYS, {"task_id": task_id})


_DROP_KEYS = delete(TaskKey).where(TaskKey.task_id == bindparam("task_id"))


def copy_zone_to_tasks(session: Session, zone: Zone) -> None:
    """After a zone's name or province changed: its open tasks carry the new values and keys."""
    for task in zone_open_tasks(session, zone.id):
        _copy_zone(task, zone)
        drop_keys(session, task.id)
        _add_keys(session, task)


MODEL_FAILURE = "model_failure"  # an event for the process owner only: it may quote the model's expressions
def set_claim(session: Session, task: HumanTask, holder: int | None, was: int | None, now: datetime | None,
              delegated_by: int | None = None) -> bool:
    """Move an open task's claim from ``was`` to ``holder`` in one conditional UPDATE; False if it had moved on.

    The condition is the lock: of two officials claiming at once, the second UPDATE waits for the first
    (row lock on PostgreSQL, the write lock on SQLite), then matches nothing.
    """
    held = HumanTask.claimed_by_id.is_(None) if was is None else HumanTask.claimed_by_id == was
    return _changed(session, task, update(HumanTask).where(HumanTask.id == task.id,
                                                           HumanTask.status == TaskStatus.OPEN, held)
                    .values(claimed_by_id=holder, claimed_at=now, delegated_by_id=delegated_by))


def close_task(session: Session, task: HumanTask, user_id: int, now: datetime) -> bool:
    """Mark an open task done by ``user_id`` unless it was closed or claimed by someone else meanwhile."""
    done = {"status": TaskStatus.DONE, "completed_at": now, "completed_by_id": user_id}
    closed = _changed(session, task, _CLOSE, done, {"task_id": task.id, "user_id": user_id, "now": now})
    if closed:
        drop_keys(session, task.id)
    return closed


_CLOSE = (update(HumanTask)
          .where(HumanTask.id == bindparam("task_id"), HumanTask.status == TaskStatus.OPEN,
                 or_(HumanTask.claimed_by_id.is_(None), HumanTask.claimed_by_id == bindparam("user_id")))
          .values(status=TaskStatus.DONE, completed_at=bindparam("now"), completed_by_id=bindparam("user_id")))


def _changed(session: Session, task: HumanTask, statement, values: dict[str, Any] | None = None,
             params: dict[str, Any] | None = None) -> bool:
    """Run a conditional UPDATE of ``task``; on a match with known ``values`` set them without reading the row."""
    changed = session.execute(statement.execution_options(synchronize_session=False), params).rowcount == 1
    if changed and values is not None:
        for name, value in values.items():
            set_committed_value(task, name, value)
    else:
        session.refresh(task)
    return changed


def reread_after_write(session: Session, instance: ProcessInstance) -> None:
    """Make sure the instance read before this transaction wrote is still current, once it writes.

    On PostgreSQL :func:`instance_for_update` locked and read the row: nobody can have changed it since.
    SQLite has no row locks; its first write takes the database's lock, after which a read is final: the
    row's version is read (one small statement) and, if another step saved meanwhile, the row again. Should
    that step have moved the instance to another version of its model, this one starts over (StaleInstance).
    """
    if session.get_bind().dialect.name == "postgresql":
        return
    if session.scalar(select(ProcessInstance.version).where(ProcessInstance.id == instance.id)) == instance.version:
        return
    model = instance.process_version_id
    session.refresh(instance)
    if instance.process_version_id != model:
        raise StaleInstance(Msg("该流程刚被他人处理，请刷新后重试"))


def mark_reminded(session: Session, task_id: int, now: datetime) -> bool:
    """Note that an open task was reminded of; False if another worker did it first."""
    result = session.execute(update(HumanTask).where(HumanTask.id == task_id, HumanTask.status == TaskStatus.OPEN,
                                                     HumanTask.reminded_at.is_(None))
                             .values(reminded_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1


def stages_opened(session: Session, instance_id: int) -> list[tuple[datetime, str]]:
    """When each task of an instance that sets the zone's stage opened, and the stage, oldest first."""
    rows = session.execute(select(HumanTask.created_at, HumanTask.stage)
                           .where(HumanTask.instance_id == instance_id, HumanTask.stage != "")
                           .order_by(HumanTask.created_at, HumanTask.id))
    return [(at, stage) for at, stage in rows]


def history(session: Session, zone_id: int) -> Sequence[Event]:
    """A zone's history as its officials see it (without the model failures meant for the process owner)."""
    return session.scalars(select(Event).where(Event.zone_id == zone_id, Event.kind != MODEL_FAILURE)
                           .order_by(Event.at, Event.id)).all()


def latest_steps(session: Session, instance_id: int, bpmn_ids: Iterable[str], people: bool = True) -> dict[str, Event]:
    """The newest completion of each of these elements in one instance (a task done, a recorded step).

    ``people=False`` leaves out who acted (their account, roles, organisation): what a completion reads.
    """
    query = select(Event).where(Event.instance_id == instance_id, Event.bpmn_id.in_(list(bpmn_ids)),
                                Event.kind.in_(("task_completed", "automatic"))).order_by(Event.at, Event.id)
    rows = session.scalars(query if people else query.options(lazyload("*")))
    return {e.bpmn_id or "": e for e in rows}


def completion(session: Session, task: HumanTask) -> Event | None:
    """The history row of a done task: its completion, or its withdrawal."""
    kinds = ("task_completed", "task_withdrawn")
    return session.scalar(select(Event).where(Event.instance_id == task.instance_id, Event.bpmn_id == task.bpmn_id,
                                              Event.kind.in_(kinds), Event.at == task.completed_at)
                          .order_by(Event.id).limit(1))


def zone_record(session: Session, zone_id: int, record_id: int) -> ZoneRecord | None:
    if not 0 < record_id <= MAX_ID:
        return None
    return session.scalar(select(ZoneRecord).where(ZoneRecord.id == record_id, ZoneRecord.zone_id == zone_id))


def task_done_at(session: Session, instance_id: int, bpmn_id: str, at: datetime) -> HumanTask | None:
    """The task of that element completed at that moment (the task a record came from)."""
    return session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id,
                                                  HumanTask.completed_at == at).limit(1))


def period_records(session: Session, zone_id: int, period_no: int | None) -> Sequence[ZoneRecord]:
    """A zone's records of one supervision year (of its newest year when ``period_no`` is None)."""
    if period_no is None:
        period_no = session.scalar(select(func.max(ZoneRecord.period_no)).where(ZoneRecord.zone_id == zone_id))
        if period_no is None:
            return []
    return session.scalars(select(ZoneRecord).where(ZoneRecord.zone_id == zone_id, ZoneRecord.period_no == period_no)
                           .order_by(ZoneRecord.at, ZoneRecord.id)).all()


def measure_of(session: Session, instance_id: int) -> Measure | None:
    """The measure an instance is about: the measure's own approval, or a proposal to replicate it."""
    found = session.scalar(select(Measure).where(Measure.instance_id == instance_id))
    if found is None:
        found = session.scalar(select(Measure).join(Experience, Experience.measure_id == Measure.id)
                               .where(Experience.instance_id == instance_id))
    return found


def model_failures(session: Session, limit: int) -> Sequence[Event]:
    """The latest run-time failures of models, newest first."""
    return session.scalars(select(Event).where(Event.kind == MODEL_FAILURE)
                           .order_by(Event.at.desc(), Event.id.desc()).limit(limit)).all()


def add_event(session: Session, event: Event) -> None:
    session.add(event)


def instance_for_update(session: Session, instance_id: int, skip_locked: bool = False) -> ProcessInstance | None:
    """The instance row, locked until commit (PostgreSQL) and re-read, so its state is current.

    With ``skip_locked`` a row another worker holds is skipped (None) instead of waited for. The lock is
    ``FOR NO KEY UPDATE``: it excludes other steps, but not the key-share locks that inserting a row
    referring to the instance takes (a claim's history row); ``FOR UPDATE`` would deadlock with a claim.
    """
    return session.scalars(
        select(ProcessInstance).where(ProcessInstance.id == instance_id)
        .with_for_update(of=ProcessInstance, skip_locked=skip_locked, key_share=True)
        .execution_options(populate_existing=True)
    ).one_or_none()


def due_instance_ids(session: Session, now: datetime, limit: int, exclude: Sequence[int] = ()) -> list[int]:
    """Running instances whose earliest timer is due and not backed off (an index range scan on next_timer_at)."""
    query = (select(ProcessInstance.id)
             .where(ProcessInstance.completed.is_(False), ProcessInstance.next_timer_at <= now,
                    or_(ProcessInstance.timer_retry_at.is_(None), ProcessInstance.timer_retry_at <= now))
             .order_by(ProcessInstance.next_timer_at, ProcessInstance.id).limit(limit))
    if exclude:
        query = query.where(ProcessInstance.id.not_in(list(exclude)))
    return list(session.scalars(query))


def failing_instances(session: Session, zone_id: int | None = None) -> Sequence[ProcessInstance]:
    """Running instances whose timers failed at their last attempt, soonest retry first."""
    query = select(ProcessInstance).where(ProcessInstance.completed.is_(False), ProcessInstance.timer_failures > 0)
    if zone_id is not None:
        query = query.where(ProcessInstance.zone_id == zone_id)
    return session.scalars(query.options(selectinload(ProcessInstance.zone))
                           .order_by(ProcessInstance.timer_retry_at, ProcessInstance.id)).all()


def last_events(session: Session, kind: str, instance_ids: Sequence[int]) -> dict[int, Event]:
    """The newest event of ``kind`` of each instance."""
    if not instance_ids:
        return {}
    newest = (select(func.max(Event.id)).where(Event.kind == kind, Event.instance_id.in_(list(instance_ids)))
              .group_by(Event.instance_id))
    return {e.instance_id: e for e in session.scalars(select(Event).where(Event.id.in_(newest)))
            if e.instance_id is not None}


def overdue_tasks(session: Session, now: datetime, limit: int) -> Sequence[HumanTask]:
    """Open tasks past their due time that have not been reminded of yet."""
    return session.scalars(
        select(HumanTask).where(HumanTask.status == TaskStatus.OPEN, HumanTask.due_at <= now,
                                HumanTask.reminded_at.is_(None)).order_by(HumanTask.due_at, HumanTask.id).limit(limit)
    ).all()


def touch(zone: Zone, now: datetime) -> None:
    zone.updated_at = now


def records(session: Session, zone_id: int) -> Sequence[ZoneRecord]:
    return session.scalars(select(ZoneRecord).where(ZoneRecord.zone_id == zone_id)
                           .order_by(ZoneRecord.at, ZoneRecord.id)).all()


def measures(session: Session, zone_id: int) -> Sequence[Measure]:
    return session.scalars(select(Measure).where(Measure.zone_id == zone_id).order_by(Measure.filed_at)).all()


def experiences(session: Session, zone_id: int) -> Sequence[Experience]:
    return session.scalars(select(Experience).where(Experience.zone_id == zone_id)
                           .order_by(Experience.proposed_at)).all()


def adoptions(session: Session, zone_id: int) -> Sequence[Adoption]:
    return session.scalars(select(Adoption).where(Adoption.zone_id == zone_id).order_by(Adoption.adopted_at)).all()


def _upsert(session: Session, model: type, keys: dict[str, Any], values: dict[str, Any], changes: dict) -> None:
    """Insert a row or, when its keys exist, apply ``changes`` to it, in one atomic statement."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(**keys, **values)
    session.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))


def count_login_attempt(session: Session, username: str, ip: str, now: datetime, window: timedelta) -> LoginAttempt:
    """Count one attempt of this name from this address in the current rate window; the row after counting."""
    fresh = LoginAttempt.window_start > now - window
    _upsert(session, LoginAttempt, {"username": username, "ip": ip},
            {"failures": 0, "window_start": now, "window_count": 1, "last_at": now},
            {"window_count": case((fresh, LoginAttempt.window_count + 1), else_=1),
             "window_start": case((fresh, LoginAttempt.window_start), else_=now), "last_at": now})
    return session.scalars(select(LoginAttempt).where(LoginAttempt.username == username, LoginAttempt.ip == ip)
                           .execution_options(populate_existing=True)).one()


def count_login_failure(session: Session, attempt_id: int, now: datetime, forget: timedelta) -> None:
    recent = LoginAttempt.last_failure_at > now - forget
    session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(
        failures=case((recent, LoginAttempt.failures + 1), else_=1), last_failure_at=now))


def clear_login_failures(session: Session, attempt_id: int) -> None:
    session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(failures=0,
                                                                                    last_failure_at=None))


def forget_login_attempts(session: Session, before: datetime) -> None:
    """Drop counters untouched since ``before`` (they no longer slow anyone down)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.last_at < before))


def tally_refusal(session: Session, ip: str, minute: datetime, now: datetime, request: str) -> int:
    """Count one refusal for this address in this minute; how many it has now."""
    _upsert(session, RefusalTally, {"ip": ip, "minute": minute}, {"count": 1, "last_at": now,
                                                                    "last_request": request[:600]},
            {"count": RefusalTally.count + 1, "last_at": now, "last_request": request[:600]})
    return session.scalar(select(RefusalTally.count).where(RefusalTally.ip == ip, RefusalTally.minute == minute))


def refusal_tallies(session: Session, limit: int) -> Sequence[RefusalTally]:
    return session.scalars(select(RefusalTally).order_by(RefusalTally.minute.desc(), RefusalTally.id.desc())
                           .limit(limit)).all()


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def delete_tokens(session: Session, user_id: int | None = None, expired_at: datetime | None = None,
                  keep_newest: int | None = None) -> None:
    """Delete a user's tokens (all, or all but the newest ``keep_newest``), or everyone's expired ones."""
    query = delete(ApiToken)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    if expired_at is not None:
        query = query.where(ApiToken.expires_at <= expired_at)
    if keep_newest is not None:
        newest = (select(ApiToken.id).where(ApiToken.user_id == user_id)
                  .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()).limit(keep_newest))
        query = query.where(ApiToken.id.not_in(newest))
    session.execute(query)
