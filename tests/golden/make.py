"""Make the golden database: zones at every stage, made by one release, kept to prove upgrades keep them running.

    PYTHONPATH=<checkout of the release>/src python tests/golden/make.py tests/golden/golden.sqlite3

It uses only the application's services, as of fixed instants, so that it runs on the release it
documents. The file is made once and never regenerated (README, "Upgrades keep running zones").
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from workflow import create_app, store
from workflow.config import ROOT
from workflow.services import experiences, measures, setup, tasks, timers, zones
from workflow.timeparse import add_duration

PASSWORD = "demo-pass-1"
START = datetime(2027, 1, 4, 1, 30, tzinfo=UTC)  # the operating zones are approved then
LATE = datetime(2030, 3, 2, 2, 0, tzinfo=UTC)  # the zones still applying are filed after three operating years
UNITS = {"opinion_clearance": "hq.clearance", "opinion_cnca": "hq.cnca", "opinion_health": "hq.health",
         "opinion_plant_animal": "hq.plant", "opinion_inspection": "hq.inspection", "opinion_food": "hq.food"}
SCORES = ("score_reform", "score_facilitation", "score_safety", "score_innovation")


def application(name: str, province: str) -> dict:
    return {"zone_name": name, "province": province, "leading_body": "建设领导小组；组长：张三",
            "operator": "投资集团有限公司", "industries": "电子信息、跨境电商", "functions": "进境指定口岸查验",
            "design_scale": "占地 1.2 平方公里", "forecast_volume": "年业务量 5 万批",
            "priority_policies": ["designated_port", "third_party"], "innovation_measures": "第三方检验结果采信试点",
            "construction_plan": ""}


class Maker:
    """Drives zones through the services as their officials would, each step at a given instant."""

    def __init__(self, app) -> None:
        self.db = app.extensions["workflow.db"]
        self.session = self.db.session()

    def user(self, name: str):
        return store.user_by_name(self.session, name)

    def act(self, name: str, zone, bpmn_id: str, now: datetime, **data) -> None:
        me = self.user(name)
        task = next(t for t in tasks.inbox(self.session, me) if t.bpmn_id == bpmn_id and t.zone_id == zone.id)
        tasks.complete(self.session, me, task.id, data, now=now)

    def passes(self, now: datetime) -> None:
        timers.run_pass(self.db, now)
        self.session.expire_all()

    def file(self, name: str, province: str, now: datetime):
        return zones.file_application(self.session, self.user(f"{province}.gov"), application(name, province),
                                      now=now)

    def recommended(self, name: str, province: str, now: datetime):
        zone = self.file(name, province, now)
        self.act(f"{province}.bureau", zone, "bureau_recommendation", now, decision="recommend", comment="同意推荐")
        return zone

    def organised(self, name: str, province: str, now: datetime):
        zone = self.recommended(name, province, now)
        self.act("hq.clearance", zone, "organise_acceptance", now, acceptance_date=now.date().isoformat(),
                 acceptance_scope="现场验收")
        return zone

    def opinions(self, zone, now: datetime, count: int = 6) -> None:
        for bpmn_id, name in list(UNITS.items())[:count]:
            self.act(name, zone, bpmn_id, now, decision="pass", comment="同意")

    def consolidated(self, name: str, province: str, now: datetime, decision: str):
        zone = self.organised(name, province, now)
        self.opinions(zone, now)
        self.act("hq.clearance", zone, "consolidate", now, decision=decision, comment="汇总意见")
        return zone

    def operating(self, name: str, province: str, now: datetime):
        zone = self.consolidated(name, province, now, "pass")
        self.act("hq.leader", zone, "hq_approval", now, decision="approve", comment="同意", approval_number=name[:2])
        return zone

    def year(self, year_start: datetime, scores: dict, quarters: dict | None = None) -> datetime:
        """One supervision year of the zones in ``scores`` (zone -> score); ``quarters`` stops a zone early."""
        for i in (1, 2, 3, 4):
            when = add_duration(year_start, f"P{3 * i}M") + timedelta(hours=1)
            self.passes(when)
            self.passes(when)  # the fourth quarter's timer follows the third's
            for zone in scores:
                if i <= (quarters or {}).get(zone, 4):
                    self.act(f"{zone.province}.bureau", zone, f"report_q{i}", when, summary="运行正常", issues="",
                             risk_level="low")
            if i == 3:
                risk = add_duration(year_start, "P10M") + timedelta(hours=1)
                self.passes(risk)
                for zone in scores:
                    if (quarters or {}).get(zone, 4) == 4:
                        self.act("hq.clearance", zone, "risk_assessment", risk, risk_level="low", findings="风险可控")
        when = add_duration(year_start, "P12M") + timedelta(hours=2)
        self.passes(when)
        for zone, score in scores.items():
            if (quarters or {}).get(zone, 4) == 4:
                self.act("hq.clearance", zone, "evaluation", when, comment="年度考核", **dict.fromkeys(SCORES, score))
        return when


def operating_years(m: Maker) -> None:
    """Three zones approved at START: commended, rated good, measures and proposals; rectifying; revoked."""
    veteran = m.operating("郑州航空港国检试验区", "henan", START)
    rectifying = m.operating("赣州国检试验区", "jiangxi", START)
    revoked = m.operating("洛阳国检试验区", "henan", START)
    done = m.year(START, {veteran: 95, rectifying: 95, revoked: 30})
    m.act("hq.leader", veteran, "commendation", done, commendation_number="国质检通〔2028〕1号", comment="表扬")
    m.act("hq.leader", rectifying, "commendation", done, commendation_number="国质检通〔2028〕2号", comment="表扬")
    m.act("henan.gov", revoked, "rectify_zone", done, rectification_report="已整改")
    m.act("henan.bureau", revoked, "rectification_check", done, decision="accepted", comment="整改到位")
    year2 = add_duration(START, "P1Y")
    filed = year2 + timedelta(days=20)
    in_effect = measures.file(m.session, m.user("henan.gov"), veteran.id, {
        "title": "第三方检验结果采信", "kind": "institutional", "description": "采信第三方检验结果",
        "departs_from_rules": False}, now=filed)
    measures.file(m.session, m.user("henan.bureau"), veteran.id, {
        "title": "进口商品质量安全风险预警", "kind": "model", "description": "建立预警模型", "departs_from_rules": True,
        "rules_departed": "检验检疫法实施条例第十六条", "unit_concerned": "hq_cnca"}, now=filed)
    measures.file(m.session, m.user("jiangxi.gov"), rectifying.id, {
        "title": "跨境电商食品检验前置", "kind": "measure", "description": "检验前置", "departs_from_rules": False},
        now=filed)
    published = experiences.propose(m.session, m.user("henan.bureau"), veteran.id, {
        "title": "第三方检验结果采信", "kind": "measure", "summary": "采信第三方结果", "results": "通关时间缩短"},
        in_effect.id, now=filed)
    m.act("hq.clearance", veteran, "review_replication", filed, decision="accept", comment="推广")
    experiences.adopt(m.session, m.user("jiangxi.bureau"), published.id, rectifying.id, "借鉴", now=filed)
    experiences.propose(m.session, m.user("henan.bureau"), veteran.id, {
        "title": "口岸联合查验典型案例", "kind": "case", "summary": "联合查验", "results": "查验时间减半"}, now=filed)
    done = m.year(year2, {veteran: 85, rectifying: 85, revoked: 30})
    m.act("hq.leader", revoked, "revocation_decision", done, decision="revoke", comment="连续两年不合格，撤销")
    done = m.year(add_duration(START, "P2Y"), {veteran: 85, rectifying: 50}, quarters={veteran: 2})
    del done  # the rectifying zone now has its rectify_zone task open; the veteran its later reports


def applications(m: Maker) -> None:
    """Zones at every stage of the lifecycle, filed after the operating years."""
    escalated = m.file("新乡国检试验区", "henan", LATE - timedelta(days=31))
    m.passes(LATE)  # the recommendation is overdue: reminded, and escalated to the bureau head
    del escalated
    returned = m.file("开封国检试验区", "henan", LATE)
    m.act("henan.bureau", returned, "bureau_recommendation", LATE, decision="revise", comment="请补充建设方案")
    m.file("九江国检试验区", "jiangxi", LATE)
    m.recommended("南昌国检试验区", "jiangxi", LATE)
    halfway = m.organised("安阳国检试验区", "henan", LATE)
    m.opinions(halfway, LATE, count=3)
    m.opinions(m.organised("上饶国检试验区", "jiangxi", LATE), LATE)
    m.consolidated("许昌国检试验区", "henan", LATE, "rectify")
    m.consolidated("景德镇国检试验区", "jiangxi", LATE, "pass")
    rejected = m.file("南阳国检试验区", "henan", LATE)
    m.act("henan.bureau", rejected, "bureau_recommendation", LATE, decision="reject", comment="条件不具备")


def make(target: Path) -> None:
    if target.exists():
        raise SystemExit(f"{target} exists: the golden database is made once, never regenerated")
    app = create_app({"DATABASE_URL": f"sqlite:///{target}", "SECRET_KEY": "golden", "BPMN_DIR": str(ROOT / "bpmn")})
    app.extensions["workflow.db"].upgrade()
    m = Maker(app)
    setup.init(m.session, ROOT / "bpmn", demo=True, demo_password=PASSWORD)
    operating_years(m)
    applications(m)
    m.session.close()
    app.extensions["workflow.db"].dispose()
    with sqlite3.connect(target) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    with sqlite3.connect(target) as connection:
        connection.execute("VACUUM")
    connection.close()


if __name__ == "__main__":
    make(Path(sys.argv[1]))
