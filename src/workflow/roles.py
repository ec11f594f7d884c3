"""Roles, the organisation kinds they belong to, and the BPMN groups they answer to."""

from __future__ import annotations

import enum


class OrgKind(enum.StrEnum):
    HQ_UNIT = "hq_unit"
    BUREAU = "bureau"
    LOCAL_GOV = "local_gov"
    SYSTEM = "system"


class Role(enum.StrEnum):
    """A role key is also the name of a ``camunda:candidateGroups`` group."""

    LOCAL_GOV = "local_gov"
    BUREAU = "bureau"
    BUREAU_HEAD = "bureau_head"
    HQ_CLEARANCE = "hq_clearance"
    HQ_CNCA = "hq_cnca"
    HQ_HEALTH = "hq_health"
    HQ_PLANT_ANIMAL = "hq_plant_animal"
    HQ_INSPECTION = "hq_inspection"
    HQ_FOOD = "hq_food"
    HQ_LEADER = "hq_leader"
    PROCESS_OWNER = "process_owner"
    ADMIN = "admin"


HQ_ROLES = frozenset({
    Role.HQ_CLEARANCE, Role.HQ_CNCA, Role.HQ_HEALTH, Role.HQ_PLANT_ANIMAL,
    Role.HQ_INSPECTION, Role.HQ_FOOD, Role.HQ_LEADER,
})

# Which roles an organisation of each kind may give its people.
ROLES_OF_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.HQ_UNIT: HQ_ROLES | {Role.PROCESS_OWNER},
    OrgKind.BUREAU: frozenset({Role.BUREAU, Role.BUREAU_HEAD}),
    OrgKind.LOCAL_GOV: frozenset({Role.LOCAL_GOV}),
    OrgKind.SYSTEM: frozenset({Role.PROCESS_OWNER, Role.ADMIN}),
}


def lane_role(lane_id: str, lane_name: str) -> str | None:
    """The role a lane stands for when a task names no candidates: ``lane_<role>`` or a lane named after a role."""
    for candidate in (lane_id.removeprefix("lane_") if lane_id.startswith("lane_") else "", lane_name.strip()):
        if candidate in Role._value2member_map_:
            return candidate
    return None
