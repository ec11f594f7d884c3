"""Years of operation: timers, quarterly reports, ratings through the DMN table, commendation,
rectification, revocation after two failing years; the worker is idempotent and survives a crash."""

from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import START, act, application, pass_at, run_year, user
from workflow import engine, store
from workflow.errors import EngineFailure
from workflow.models import Event, HumanTask, ProcessInstance, TaskStatus, ZoneRecord, ZoneStatus
from workflow.services import failures, tasks, timers, zones
from workflow.timeparse import add_duration


def open_ids(session, zone_id):
    return sorted(t.bpmn_id for t in store.zone_open_tasks(session, zone_id))


def ratings(session, zone_id):
    rows = session.scalars(select(ZoneRecord).where(ZoneRecord.zone_id == zone_id, ZoneRecord.kind == "evaluation")
                           .order_by(ZoneRecord.id))
    return [r.data["rating"] for r in rows]


def test_nothing_is_due_before_the_first_quarter_ends(app, session, zone):
    assert pass_at(app, add_duration(START, "P3M") - timedelta(minutes=1)).fired == 0
    assert open_ids(session, zone.id) == []
    result = pass_at(app, add_duration(START, "P3M") + timedelta(minutes=1))
    assert result.fired == 1
    assert open_ids(session, zone.id) == ["report_q1"]


def test_a_pass_is_idempotent(app, session, zone):
    when = add_duration(START, "P3M") + timedelta(days=1)
    assert pass_at(app, when).fired == 1
    assert pass_at(app, when).fired == 0
    assert session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.bpmn_id == "report_q1")) == 1


def test_an_excellent_year_leads_to_a_commendation_and_the_next_year_starts(app, session, zone):
    eval_time = run_year(app, session, START, 95)
    assert ratings(session, zone.id) == ["优秀"]
    assert open_ids(session, zone.id) == ["commendation"]
    act(session, "hq.leader", "commendation", eval_time, commendation_number="国质检通〔2028〕1号", comment="表扬")
    instances = session.scalars(select(ProcessInstance).where(ProcessInstance.zone_id == zone.id)
                                .order_by(ProcessInstance.id)).all()
    assert [i.period_no for i in instances] == [None, 1, 2]
    assert instances[1].completed and instances[2].period_start == add_duration(START, "P1Y")
    kinds = session.scalars(select(ZoneRecord.kind).where(ZoneRecord.zone_id == zone.id)).all()
    assert kinds.count("report") == 4 and "risk" in kinds and "commendation" in kinds


@pytest.mark.parametrize(("given", "rating"), [
    (100, "优秀"), (90, "优秀"), ([95, 95, 95, 79], "良好"), (89, "良好"), (80, "良好"),
    ([90, 90, 90, 59], "合格"), (79, "合格"), (60, "合格"), ([70, 70, 70, 39], "不合格"), (59, "不合格"), (0, "不合格"),
])
def test_the_rating_table_at_each_boundary(app, session, zone, given, rating):
    run_year(app, session, START, given)
    assert ratings(session, zone.id) == [rating]


def test_a_failing_year_orders_rectification_checked_by_the_bureau(app, session, zone):
    eval_time = run_year(app, session, START, 50)
    assert open_ids(session, zone.id) == ["rectify_zone"]
    act(session, "henan.gov", "rectify_zone", eval_time, rectification_report="已整改")
    act(session, "henan.bureau", "rectification_check", eval_time, decision="redo", comment="不到位")
    act(session, "henan.gov", "rectify_zone", eval_time, rectification_report="再次整改")
    act(session, "henan.bureau", "rectification_check", eval_time, decision="accepted", comment="到位")
    session.refresh(zone)
    assert zone.status == ZoneStatus.OPERATING
    kinds = session.scalars(select(ZoneRecord.kind).where(ZoneRecord.zone_id == zone.id)).all()
    assert kinds.count("rectification") == 2 and kinds.count("rectification_check") == 2


def test_two_failing_years_in_a_row_lead_to_revocation(app, session, zone):
    eval_time = run_year(app, session, START, 30)
    act(session, "henan.gov", "rectify_zone", eval_time, rectification_report="整改")
    act(session, "henan.bureau", "rectification_check", eval_time, decision="accepted", comment="到位")
    eval_time = run_year(app, session, add_duration(START, "P1Y"), 30)
    assert ratings(session, zone.id) == ["不合格", "不合格"]
    assert open_ids(session, zone.id) == ["revocation_decision"]
    act(session, "hq.leader", "revocation_decision", eval_time, decision="revoke", comment="撤销")
    session.refresh(zone)
    assert zone.status == ZoneStatus.REVOKED
    running = session.scalars(select(ProcessInstance).where(ProcessInstance.zone_id == zone.id,
                                                            ProcessInstance.completed.is_(False))).all()
    assert [i.process_version.process_id for i in running] == [], "no further supervision year"


def test_a_recommendation_overdue_reminds_and_escalates_to_the_bureau_head(app, session):
    zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    late = START + timedelta(days=31)
    result = pass_at(app, late)
    assert result.fired == 1 and result.reminded == 1
    assert [t.bpmn_id for t in tasks.inbox(session, user(session, "henan.head"))] == ["recommendation_escalation"]
    assert [t.bpmn_id for t in tasks.inbox(session, user(session, "jiangxi.head"))] == []
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "task_overdue")) == 1
    again = pass_at(app, late + timedelta(days=1))
    assert (again.fired, again.reminded) == (0, 0)
    act(session, "henan.bureau", "bureau_recommendation", late, decision="recommend", comment="同意")
    assert [t.bpmn_id for t in tasks.inbox(session, user(session, "hq.clearance"))] == ["organise_acceptance"]


def test_a_crash_mid_pass_loses_nothing_and_fires_nothing_twice(app, session, monkeypatch):
    for i, gov in enumerate(["henan.gov", "jiangxi.gov"]):
        zones.file_application(session, user(session, gov), application(
            zone_name=f"第{i}国检试验区", province="henan" if gov == "henan.gov" else "jiangxi"), now=START)
    late = START + timedelta(days=31)
    real_fire, calls = timers.fire, []

    def crashing(session_, instance_id, now):
        calls.append(instance_id)
        if len(calls) == 2:
            raise KeyboardInterrupt("worker killed")
        return real_fire(session_, instance_id, now)

    monkeypatch.setattr(timers, "fire", crashing)
    with pytest.raises(KeyboardInterrupt):
        pass_at(app, late)
    monkeypatch.setattr(timers, "fire", real_fire)
    assert pass_at(app, late).fired == 1, "only the instance the crash interrupted is left"
    escalations = session.scalar(select(func.count()).select_from(HumanTask)
                                 .where(HumanTask.bpmn_id == "recommendation_escalation"))
    assert escalations == 2


def test_times_are_stored_in_utc_and_shown_in_shanghai(app, session, zone, login_as):
    pass_at(app, add_duration(START, "P3M") + timedelta(hours=1))
    session.expire_all()
    [task] = store.zone_open_tasks(session, zone.id)
    assert task.created_at.tzinfo == UTC and task.created_at.hour == 2 and task.created_at.minute == 30
    page = login_as("henan.bureau").get("/inbox").get_data(as_text=True)
    assert "2027-04-04 10:30" in page, "02:30 UTC is 10:30 in Shanghai"
    assert task.status == TaskStatus.OPEN


def test_scores_out_of_range_are_refused_and_nothing_is_saved(app, session, zone):
    from workflow.errors import InvalidForm

    eval_time = add_duration(START, "P12M") + timedelta(hours=2)
    pass_at(app, eval_time)
    session.expire_all()
    before = session.scalar(select(func.count()).select_from(ZoneRecord))
    with pytest.raises(InvalidForm) as err:
        act(session, "hq.clearance", "evaluation", eval_time, comment="x", score_reform=101, score_facilitation=-1,
            score_safety="九十", score_innovation=80)
    session.rollback()
    assert set(err.value.fields) == {"score_reform", "score_facilitation", "score_safety"}
    assert session.scalar(select(func.count()).select_from(ZoneRecord)) == before
    assert "evaluation" in open_ids(session, zone.id)


def test_a_timer_failure_is_kept_for_the_process_owner_not_in_the_zone_history(app, session, zone, monkeypatch):
    def broken(self, now):
        raise EngineFailure("zone_supervision v1: secret_expression failed", "zone_supervision", "q1_due")

    monkeypatch.setattr(engine.Run, "fire_timers", broken)
    result = pass_at(app, add_duration(START, "P4M"))
    assert result.failed and "secret_expression" in result.failed[0][1]
    session.expire_all()
    recorded = failures.recent(session, user(session, "owner"))
    assert [(e.zone_id, e.bpmn_id, e.data["during"]) for e in recorded] == [(zone.id, "q1_due", "firing timers")]
    assert failures.recent(session, user(session, "henan.bureau")) == []
    assert all(e.kind != "model_failure" for e in store.history(session, zone.id))
def test_every_open_task_carries_the_zones_stage_and_the_inbox_shows_it(app, session, zone, login_as):
    other = zones.file_application(session, user(session, "henan.gov"), application(zone_name="开封国检试验区"),
                                   now=START)
    pass_at(app, START + timedelta(days=31))
    pass_at(app, add_duration(START, "P3M") + timedelta(hours=1))
    session.expire_all()
    stages = {t.bpmn_id: t.stage for z in (zone, other) for t in store.zone_open_tasks(session, z.id)}
    assert stages == {"report_q1": "operating", "bureau_recommendation": "recommending",
                      "recommendation_escalation": "recommending"}, "without a stage property: the zone's status"
    head = login_as("henan.head").get("/inbox").get_data(as_text=True)
    assert "<td>推荐中</td>" in head
    assert "<td>运行中</td>" in login_as("henan.bureau").get("/inbox").get_data(as_text=True)
