"""Who may see and act on what: role x organisation x the zone's data, as SQL clauses.

Every entry point (pages, API, exports, CLI) asks these clauses, so the rule is written once.
A zone a user may not see is reported as missing (its existence is not revealed); a task a user
may see but not take is forbidden.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from workflow.models import CandidateKind, HumanTask, Organisation, TaskCandidate, User, UserRole, Zone
from workflow.roles import HQ_ROLES, Role

SEES_ALL = HQ_ROLES | {Role.PROCESS_OWNER, Role.ADMIN}


def zone_scope(user: User) -> ColumnElement[bool]:
    """Zones the user may see: HQ everything, a bureau its province, a local government its own."""
    return _scope(user, Zone.province, Zone.applicant_id)


def _scope(user: User, province, applicant_id) -> ColumnElement[bool]:
    """The one rule of who sees a zone, on the columns that hold its province and applicant."""
    if not user.active:
        return false()
    roles = user.roles
    if roles & SEES_ALL:
        return true()
    clauses = []
    if roles & {Role.BUREAU, Role.BUREAU_HEAD} and user.organisation.province:
        clauses.append(province == user.organisation.province)
    if Role.LOCAL_GOV in roles:
        clauses.append(applicant_id == user.organisation_id)
    return or_(*clauses) if clauses else false()


def task_scope(user: User) -> ColumnElement[bool]:
    """Tasks of visible zones for which the user is assigned, a candidate user, or holds a candidate group."""
    groups = [r.value for r in user.roles]
    candidate = exists(
        select(TaskCandidate.id).where(
            TaskCandidate.task_id == HumanTask.id,
            or_(
                and_(TaskCandidate.kind == CandidateKind.GROUP, TaskCandidate.name.in_(groups)),
                and_(TaskCandidate.kind == CandidateKind.USER, TaskCandidate.name == user.username),
            ),
        )
    )
    assigned = HumanTask.assignee == user.username
    visible = exists(select(Zone.id).where(Zone.id == HumanTask.zone_id, zone_scope(user)))
    return and_(visible, or_(assigned, and_(HumanTask.assignee.is_(None), candidate)))


PROVINCIAL = frozenset({Role.BUREAU.value, Role.BUREAU_HEAD.value})


def group_key(group: str, province: str | None, applicant_id: int | None) -> str:
    """The key of a candidate group in a zone's scope: a bureau acts in its province, a local government on its own."""
    if group in PROVINCIAL:
        return f"g:{group}@{province or ''}"
    if group == Role.LOCAL_GOV.value:
        return f"g:{group}#{applicant_id or ''}"
    return f"g:{group}"


def task_keys(groups: Iterable[str], users: Iterable[str], assignee: str | None, province: str,
              applicant_id: int | None) -> set[str]:
    """The keys a task is offered under (the assignee has priority over candidates), the same rule as ``task_scope``."""
    if assignee:
        return {f"u:{assignee}"}
    return {group_key(g, province, applicant_id) for g in groups} | {f"u:{u}" for u in users}


def user_keys(user: User) -> set[str]:
    """The keys of tasks the user is a candidate for (with a zone they may see, see ``task_row_scope``)."""
    org = user.organisation
    return {group_key(r.value, org.province, org.id) for r in user.roles} | {f"u:{user.username}"}


def task_row_scope(user: User) -> ColumnElement[bool]:
    """``zone_scope`` on the zone's province and applicant copied onto the task row."""
    return _scope(user, HumanTask.province, HumanTask.applicant_id)


def may_start(user: User, groups: tuple[str, ...], users: tuple[str, ...]) -> bool:
    """Whether the user is a candidate for a model's first task (filing a new case)."""
    return user.active and (bool({r.value for r in user.roles} & set(groups)) or user.username in users)


def zone_audience(province, applicant_id) -> ColumnElement[bool]:
    """Users who may see a zone of ``province`` filed by ``applicant_id``: the inverse of :func:`zone_scope`, as a
    clause on User (for notifications). The two may be values or bound parameters."""

    def holds(roles) -> ColumnElement[bool]:
        return exists(select(UserRole.user_id).where(UserRole.user_id == User.id,
                                                     UserRole.role.in_(list(roles))))

    org = select(Organisation.id).where(Organisation.id == User.organisation_id)
    in_province = exists(org.where(Organisation.province == province))
    return and_(User.active, or_(holds(SEES_ALL), and_(holds({Role.BUREAU, Role.BUREAU_HEAD}), in_province),
                                 and_(holds({Role.LOCAL_GOV}), User.organisation_id == applicant_id)))


def candidate_roles(groups: Iterable[str]) -> list[Role]:
    """The roles that candidate groups name (a group that is no role names nobody)."""
    return [Role(g) for g in groups if g in Role._value2member_map_]


def named(ids, roles, usernames) -> ColumnElement[bool]:
    """Users given by id, by a role they hold (a candidate group) or by user name (a candidate user).

    Each is a list or an expanding bound parameter.
    """
    return or_(User.id.in_(ids), User.username.in_(usernames),
               exists(select(UserRole.user_id).where(UserRole.user_id == User.id, UserRole.role.in_(roles))))


def may_contribute(user: User) -> bool:
    """Whether the user may add files and comments to the zones they see: officials, not the technical accounts."""
    return user.active and bool(user.roles - {Role.PROCESS_OWNER, Role.ADMIN})
