"""A programme with zones at every stage, for tests that walk every page (English text, accessibility).

Zones (all dates relative to now, so deadlines fall where a real official would see them):
- 周口 (Henan): two failing years, rectified once, then revoked;
- 郑州航空港 (Henan): rectified at acceptance, one supervision year rated, the second running; measures
  in effect and pending approval; a measure published in the catalogue and a typical case under review;
- 赣州 (Jiangxi): operating since ten days ago; adopted 郑州航空港's published measure;
- 开封 (Henan): at acceptance, three opinions given, one opinion claimed;
- 洛阳 (Henan): its recommendation overdue, escalated to the bureau head;
- 南昌 (Jiangxi): not recommended;
- 新乡 (Henan): waiting for approval;
- 信阳 (Henan): returned to the applicant for revision.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import application
from workflow import store
from workflow.models import Zone, utcnow
from workflow.services import experiences, measures, tasks, timers, zones
from workflow.timeparse import add_duration

UNITS = {"opinion_clearance": "hq.clearance", "opinion_cnca": "hq.cnca", "opinion_health": "hq.health",
         "opinion_plant_animal": "hq.plant", "opinion_inspection": "hq.inspection", "opinion_food": "hq.food"}
SCORES = ("score_reform", "score_facilitation", "score_safety", "score_innovation")

def act(session, username: str, zone: Zone, bpmn_id: str, when: datetime, **data):
    """``username`` completes the open ``bpmn_id`` task of ``zone``."""
    user = store.user_by_name(session, username)
    task = next(t for t in tasks.inbox(session, user) if t.bpmn_id == bpmn_id and t.zone_id == zone.id)
    return tasks.complete(session, user, task.id, data, now=when)


def file(session, name: str, province: str, when: datetime) -> Zone:
    gov = store.user_by_name(session, f"{province}.gov")
    return zones.file_application(session, gov, application(zone_name=name, province=province), now=when)


def to_acceptance(session, zone: Zone, province: str, when: datetime) -> None:
    act(session, f"{province}.bureau", zone, "bureau_recommendation", when,
        decision="recommend", comment="经审查同意推荐该试验区")
    act(session, "hq.clearance", zone, "organise_acceptance", when, acceptance_date=when.date().isoformat(),
        acceptance_scope="现场查看与资料审查")


def approved(session, name: str, province: str, when: datetime, rectify: bool = False) -> Zone:
    zone = file(session, name, province, when)
    to_acceptance(session, zone, province, when)
    for bpmn_id, unit in UNITS.items():
        act(session, unit, zone, bpmn_id, when, decision="pass", comment="本单位审查同意")
    if rectify:
        act(session, "hq.clearance", zone, "consolidate", when, decision="rectify", comment="请补充查验设施后再行验收")
        act(session, f"{province}.gov", zone, "rectification", when, rectification_report="已补充查验设施")
        act(session, "hq.clearance", zone, "organise_acceptance", when, acceptance_date=when.date().isoformat(),
            acceptance_scope="现场查看与资料审查")
        for bpmn_id, unit in UNITS.items():
            act(session, unit, zone, bpmn_id, when, decision="pass", comment="本单位审查同意")
    act(session, "hq.clearance", zone, "consolidate", when, decision="pass", comment="验收组一致同意通过")
    act(session, "hq.leader", zone, "hq_approval", when, decision="approve", comment="同意建设",
        approval_number=f"国质检通〔{when.year}〕{zone.id}号")
    return zone


def supervision_year(app, session, zone: Zone, start: datetime, score: int) -> datetime:
    """Four quarterly reports, the risk assessment and the evaluation of the year beginning at ``start``."""
    def due(offset: str, hours: int = 1) -> datetime:
        when = add_duration(start, offset) + timedelta(hours=hours)
        timers.run_pass(app.extensions["workflow.db"], when)
        session.expire_all()
        return when

    for n in range(1, 5):
        when = due(f"P{3 * n}M")
        act(session, "henan.bureau", zone, f"report_q{n}", when, summary="本季度运行平稳", issues="", risk_level="low")
        if n == 3:
            when = due("P10M")
            act(session, "hq.clearance", zone, "risk_assessment", when, risk_level="low", findings="本年度风险总体可控")
    when = due("P12M", 2)
    act(session, "hq.clearance", zone, "evaluation", when, comment="年度考核意见见附件", **dict.fromkeys(SCORES, score))
    return when


def build(app) -> dict[str, int]:
    """Fill the application's database with the programme above; returns the zone ids by short name."""
    now = utcnow().replace(microsecond=0)
    with app.extensions["workflow.db"].session() as session:
        made = {"revoked": _revoked(app, session, now - timedelta(days=800)),
                "operating": approved(session, "郑州航空港国检试验区", "henan", now - timedelta(days=420),
                                      rectify=True)}
        supervision_year(app, session, made["operating"], now - timedelta(days=420), 85)
        made["adopting"] = approved(session, "赣州国检试验区", "jiangxi", now - timedelta(days=10))
        _operation(session, made["operating"], made["adopting"], now - timedelta(days=5))
        made.update(_lifecycle(session, now))
        timers.run_pass(app.extensions["workflow.db"], now)
        return {key: zone.id for key, zone in made.items()}


def _revoked(app, session, start: datetime) -> Zone:
    zone = approved(session, "周口国检试验区", "henan", start)
    when = supervision_year(app, session, zone, start, 30)
    act(session, "henan.gov", zone, "rectify_zone", when, rectification_report="已按要求完成整改")
    act(session, "henan.bureau", zone, "rectification_check", when, decision="accepted", comment="复查确认已完成整改")
    when = supervision_year(app, session, zone, add_duration(start, "P1Y"), 30)
    act(session, "hq.leader", zone, "revocation_decision", when,
        decision="revoke", comment="连续两年考核不合格，予以撤销")
    return zone


def _operation(session, zone: Zone, adopting: Zone, when: datetime) -> None:
    gov, bureau = store.user_by_name(session, "henan.gov"), store.user_by_name(session, "henan.bureau")
    measure = measures.file(session, gov, zone.id, {"title": "第三方检验结果采信", "kind": "institutional",
                                                    "description": "采信第三方检验结果"}, now=when)
    measures.file(session, bureau, zone.id, {"title": "进口食品快速验放", "kind": "measure",
                                             "description": "快速验放试点", "departs_from_rules": True,
                                             "rules_departed": "检验检疫法实施条例第十六条",
                                             "unit_concerned": "hq_cnca"}, now=when)
    experiences.propose(session, bureau, zone.id, {"title": "第三方检验结果采信", "kind": "measure",
                                                   "summary": "采信第三方检验结果", "results": "通关时间缩短三成"},
                        measure.id, now=when)
    act(session, "hq.clearance", zone, "review_replication", when, decision="accept", comment="同意纳入推广目录")
    experiences.propose(session, bureau, zone.id, {"title": "跨境电商退货监管", "kind": "case",
                                                   "summary": "退货监管做法", "results": "通关时间缩短三成"},
                        now=when)
    published = experiences.catalogue(session)[0]
    experiences.adopt(session, store.user_by_name(session, "jiangxi.bureau"), published.id, adopting.id,
                      "借鉴第三方采信", now=when)


def _lifecycle(session, now: datetime) -> dict[str, Zone]:
    accepting = file(session, "开封国检试验区", "henan", now - timedelta(days=3))
    to_acceptance(session, accepting, "henan", now - timedelta(days=2))
    act(session, "hq.cnca", accepting, "opinion_cnca", now - timedelta(days=1),
        decision="pass", comment="本单位审查同意")
    act(session, "hq.health", accepting, "opinion_health", now - timedelta(days=1), decision="conditional",
        conditions="补充卫生检疫设施", comment="需补充卫生检疫设施")
    act(session, "hq.food", accepting, "opinion_food", now - timedelta(days=1),
        decision="fail", comment="食品检测能力有待补充")
    clearance = store.user_by_name(session, "hq.clearance")
    claim = next(t for t in tasks.inbox(session, clearance) if t.zone_id == accepting.id)
    tasks.claim(session, clearance, claim.id, now=now - timedelta(hours=5))
    overdue = file(session, "洛阳国检试验区", "henan", now - timedelta(days=40))
    rejected = file(session, "南昌国检试验区", "jiangxi", now - timedelta(days=6))
    act(session, "jiangxi.bureau", rejected, "bureau_recommendation", now - timedelta(days=5), decision="reject",
        comment="暂不具备建设条件")
    approving = file(session, "新乡国检试验区", "henan", now - timedelta(days=9))
    to_acceptance(session, approving, "henan", now - timedelta(days=8))
    for bpmn_id, unit in UNITS.items():
        act(session, unit, approving, bpmn_id, now - timedelta(days=7), decision="pass", comment="本单位审查同意")
    act(session, "hq.clearance", approving, "consolidate", now - timedelta(days=6), decision="pass",
        comment="验收组一致同意通过")
    revising = file(session, "信阳国检试验区", "henan", now - timedelta(days=4))
    act(session, "henan.bureau", revising, "bureau_recommendation", now - timedelta(days=3), decision="revise",
        comment="申请材料不全，请补充建设方案")
    return {"accepting": accepting, "overdue": overdue, "rejected": rejected, "approving": approving,
            "revising": revising}
