"""Who may see and act on what: role x organisation x the zone's data, as SQL clauses.

Every entry point asks these clauses, so the rule is written once: a zone a user may not see
is reported as missing (its existence is not revealed); a task a user may see but not take is
forbidden.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from workflow.models import CandidateKind, HumanTask, Role, TaskCandidate, User, Zone

HQ_ROLES = frozenset({
    Role.HQ_CLEARANCE, Role.HQ_CNCA, Role.HQ_HEALTH, Role.HQ_PLANT_ANIMAL,
    Role.HQ_INSPECTION, Role.HQ_FOOD, Role.HQ_LEADER,
})
SEES_ALL = HQ_ROLES | {Role.PROCESS_OWNER, Role.ADMIN}


def zone_scope(user: User) -> ColumnElement[bool]:
    """Zones the user may see."""
    if not user.active:
        return false()
    if user.role in SEES_ALL:
        return true()
    if user.role == Role.BUREAU:
        province = user.organisation.province
        return Zone.province == province if province else false()
    if user.role == Role.LOCAL_GOV:
        return Zone.applicant_id == user.organisation_id
    return false()


def task_scope(user: User) -> ColumnElement[bool]:
    """Open tasks of visible zones that the user is a candidate for (or assigned to)."""
    candidate = exists(
        select(TaskCandidate.id).where(
            TaskCandidate.task_id == HumanTask.id,
            or_(
                and_(TaskCandidate.kind == CandidateKind.GROUP, TaskCandidate.name == user.role.value),
                and_(TaskCandidate.kind == CandidateKind.USER, TaskCandidate.name == user.username),
            ),
        )
    )
    assigned = HumanTask.assignee == user.username
    visible = exists(select(Zone.id).where(Zone.id == HumanTask.zone_id, zone_scope(user)))
    return and_(visible, or_(assigned, and_(HumanTask.assignee.is_(None), candidate)))


def may_start(user: User, groups: tuple[str, ...], users: tuple[str, ...]) -> bool:
    """Whether the user is a candidate for a model's first task (filing a new case)."""
    return user.active and (user.role.value in groups or user.username in users)
