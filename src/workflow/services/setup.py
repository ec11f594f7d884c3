"""`workflow init`: schema, the programme's fixed organisations, the models, optional demo data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from workflow import store
from workflow.models import OrgKind, Role, User, UserRole
from workflow.services import accounts, commit, deploy, holidays

# The acceptance working group and leadership named in 五(三) of the notice.
HQ_UNITS = [
    ("hq-clearance", "通关司", "Dept. of Customs Clearance"),
    ("hq-cnca", "认监委", "Certification and Accreditation Administration"),
    ("hq-health", "卫生司", "Health Quarantine Dept."),
    ("hq-plant", "动植司", "Animal and Plant Quarantine Dept."),
    ("hq-inspection", "检验司", "Inspection Dept."),
    ("hq-food", "食品局", "Import and Export Food Safety Bureau"),
    ("hq-leadership", "质检总局领导", "HQ leadership"),
]
DEMO_ORGS = [
    ("henan-bureau", "河南检验检疫局", "Henan Inspection and Quarantine Bureau", OrgKind.BUREAU, "henan"),
    ("jiangxi-bureau", "江西检验检疫局", "Jiangxi Inspection and Quarantine Bureau", OrgKind.BUREAU, "jiangxi"),
    ("henan-gov", "河南省人民政府", "Henan Provincial Government", OrgKind.LOCAL_GOV, "henan"),
    ("jiangxi-gov", "江西省人民政府", "Jiangxi Provincial Government", OrgKind.LOCAL_GOV, "jiangxi"),
    ("system", "系统运维", "System administration", OrgKind.SYSTEM, None),
]
DEMO_USERS = [
    ("henan.gov", Role.LOCAL_GOV, "henan-gov", "河南省政府经办人"),
    ("jiangxi.gov", Role.LOCAL_GOV, "jiangxi-gov", "江西省政府经办人"),
    ("henan.bureau", Role.BUREAU, "henan-bureau", "河南局经办人"),
    ("henan.bureau2", Role.BUREAU, "henan-bureau", "河南局经办人二"),
    ("jiangxi.bureau", Role.BUREAU, "jiangxi-bureau", "江西局经办人"),
    ("henan.head", Role.BUREAU_HEAD, "henan-bureau", "河南局分管领导"),
    ("jiangxi.head", Role.BUREAU_HEAD, "jiangxi-bureau", "江西局分管领导"),
    ("hq.clearance", Role.HQ_CLEARANCE, "hq-clearance", "通关司经办人"),
    ("hq.cnca", Role.HQ_CNCA, "hq-cnca", "认监委经办人"),
    ("hq.health", Role.HQ_HEALTH, "hq-health", "卫生司经办人"),
    ("hq.plant", Role.HQ_PLANT_ANIMAL, "hq-plant", "动植司经办人"),
    ("hq.inspection", Role.HQ_INSPECTION, "hq-inspection", "检验司经办人"),
    ("hq.food", Role.HQ_FOOD, "hq-food", "食品局经办人"),
    ("hq.leader", Role.HQ_LEADER, "hq-leadership", "总局领导"),
    ("owner", Role.PROCESS_OWNER, "system", "流程管理员"),
    ("admin", Role.ADMIN, "system", "系统管理员"),
]


def init(session: Session, bpmn_dir: Path, demo: bool, demo_password: str) -> dict[str, int]:
    """Create what is missing and change nothing that exists; safe to run again."""
    for code, name, name_en in HQ_UNITS:
        accounts.ensure_organisation(session, code, name, OrgKind.HQ_UNIT, None, name_en)
    users = 0
    if demo:
        orgs = {code: accounts.ensure_organisation(session, code, name, kind, province, name_en)
                for code, name, name_en, kind, province in DEMO_ORGS}
        orgs.update({o.code: o for o in (accounts.ensure_organisation(session, c, n, OrgKind.HQ_UNIT)
                                          for c, n, _ in HQ_UNITS)})
        password_hash = accounts.hash_password(demo_password)
        for username, role, org, display in DEMO_USERS:
            if store.user_by_name(session, username) is None:
                session.add(User(username=username, role_rows=[UserRole(role=role)], organisation_id=orgs[org].id,
                                 display_name=display, password_hash=password_hash))
                users += 1
    deployed = deploy.stage_directory(session, bpmn_dir)
    days = holidays.load_shipped(session)
    commit(session)
    return {"users_created": users, "versions_created": sum(1 for _, created in deployed if created),
            "calendar_days_added": days}
