"""The zone page tells the truth about the instance on screen: its done, current and overdue steps, the
escalations that lapse with their reason, and what an operating zone waits for next."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import START, act, application, approve_zone, pass_at, run_year, user
from workflow import engine, store
from workflow.errors import TaskAlreadyDone
from workflow.models import Event, HumanTask, ProcessInstance, TaskStatus, ZoneStatus, utcnow
from workflow.services import tasks, zones
from workflow.timeparse import add_duration


def marks(page: str, name: str) -> set[str]:
    return set(re.search(rf'data-{name}="([^"]*)"', page).group(1).split())


def instances(session, zone_id):
    return session.scalars(select(ProcessInstance).where(ProcessInstance.zone_id == zone_id)
                           .order_by(ProcessInstance.id)).all()


YEAR_STEPS = {"report_q1", "report_q2", "report_q3", "report_q4", "risk_assessment", "evaluation", "commendation"}


def test_each_supervision_year_shows_only_its_own_steps_as_done(app, session, login_as):
    zone = approve_zone(session)
    end_of_year_1 = run_year(app, session, START, 95)
    act(session, "hq.leader", "commendation", end_of_year_1, commendation_number="表扬1号", comment="好")
    lifecycle, year_1, year_2 = instances(session, zone.id)
    hq = user(session, "hq.clearance")

    just_begun = zones.trace(session, hq, zone.id, year_2.id)
    assert not YEAR_STEPS & set(just_begun.done), "a year that has just begun has done none of its work"
    assert set(just_begun.current) == {"q1_due", "risk_due"} or "q1_due" in just_begun.current

    first = zones.trace(session, hq, zone.id, year_1.id)
    assert set(first.done) >= YEAR_STEPS
    assert "rectify_zone" not in first.done

    end_of_year_2 = run_year(app, session, add_duration(START, "P1Y"), 50)
    act(session, "henan.gov", "rectify_zone", end_of_year_2, rectification_report="已整改")
    session.expire_all()
    assert "rectify_zone" in zones.trace(session, hq, zone.id, year_2.id).done
    assert "rectify_zone" not in zones.trace(session, hq, zone.id, year_1.id).done
    assert "commendation" not in zones.trace(session, hq, zone.id, year_2.id).done

    page = login_as("hq.clearance").get(f"/zones/{zone.id}?instance={year_1.id}").get_data(as_text=True)
    assert "rectify_zone" not in marks(page, "done") and "commendation" in marks(page, "done")
    page = login_as("hq.clearance").get(f"/zones/{zone.id}?instance={lifecycle.id}").get_data(as_text=True)
    assert {"submit_application", "hq_approval", "zone_operating"} <= marks(page, "done")
    assert not YEAR_STEPS & marks(page, "done")


def test_overdue_steps_are_marked_on_their_own_instance_only(app, session, login_as):
    filed = utcnow() - timedelta(days=31)
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=filed)
    client = login_as("hq.clearance")
    page = client.get(f"/zones/{zone.id}").get_data(as_text=True)
    assert marks(page, "overdue") == {"bureau_recommendation"}, "30 days to recommend have passed"
    assert "bureau_recommendation" in marks(page, "current")
    act(session, "henan.bureau", "bureau_recommendation", decision="recommend", comment="同意")
    page = client.get(f"/zones/{zone.id}").get_data(as_text=True)
    assert marks(page, "overdue") == set() and "organise_acceptance" in marks(page, "current")


def test_nothing_is_overdue_before_its_due_date(app, session, login_as):
    zone = zones.file_application(session, user(session, "henan.gov"), application(),
                                  now=utcnow() - timedelta(days=29))
    page = login_as("hq.clearance").get(f"/zones/{zone.id}").get_data(as_text=True)
    assert marks(page, "overdue") == set()


def escalated_zone(app, session):
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    pass_at(app, START + timedelta(days=31))
    session.expire_all()
    [escalation] = tasks.inbox(session, user(session, "henan.head"))
    assert escalation.bpmn_id == "recommendation_escalation"
    return zone, escalation


@pytest.mark.parametrize("decision", ["recommend", "reject", "revise"])
def test_an_escalation_is_withdrawn_once_the_recommendation_is_made(app, session, decision):
    zone, escalation = escalated_zone(app, session)
    late = START + timedelta(days=33)
    act(session, "henan.bureau", "bureau_recommendation", late, decision=decision, comment="意见")
    session.expire_all()
    assert tasks.inbox(session, user(session, "henan.head")) == [], "gone from the head's inbox"
    assert session.get(HumanTask, escalation.id).status == TaskStatus.CANCELLED
    withdrawn = session.scalars(select(Event).where(Event.zone_id == zone.id, Event.kind == "task_withdrawn")).all()
    assert [e.bpmn_id for e in withdrawn] == ["recommendation_escalation"]
    with pytest.raises(TaskAlreadyDone):
        tasks.complete(session, user(session, "henan.head"), escalation.id, {"comment": "督办"}, now=late)
    session.rollback()
    if decision == "reject":
        session.refresh(zone)
        [lifecycle] = instances(session, zone.id)
        assert zone.status == ZoneStatus.REJECTED and lifecycle.completed, "the rejected zone's process ends"
        assert store.zone_open_tasks(session, zone.id) == []


def test_an_escalation_handled_before_the_recommendation_stays_in_the_history(app, session):
    zone, escalation = escalated_zone(app, session)
    act(session, "henan.head", "recommendation_escalation", START + timedelta(days=32), comment="请抓紧")
    act(session, "henan.bureau", "bureau_recommendation", START + timedelta(days=33), decision="recommend",
        comment="同意")
    kinds = [(e.kind, e.bpmn_id) for e in store.history(session, zone.id) if e.bpmn_id == escalation.bpmn_id]
    assert kinds == [("task_completed", "recommendation_escalation")]


def test_the_history_page_shows_a_withdrawn_escalation(app, session, login_as):
    zone, _ = escalated_zone(app, session)
    act(session, "henan.bureau", "bureau_recommendation", START + timedelta(days=33), decision="recommend",
        comment="同意")
    page = login_as("henan.head").get(f"/zones/{zone.id}").get_data(as_text=True)
    assert "推荐逾期督办" in page and "已撤回" in page


DIRECT_ESCALATION = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="review" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="work" camunda:candidateGroups="bureau"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="late" cancelActivity="false" attachedToRef="work"><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="chase" camunda:candidateGroups="bureau_head"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="chased"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="done" />
    <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="chase" />
    <bpmn:sequenceFlow id="f4" sourceRef="chase" targetRef="chased" />
  </bpmn:process>
</bpmn:definitions>"""


def test_the_engine_withdraws_a_boundary_path_when_its_activity_ends_in_any_model():
    model = engine.compile_model({"review.bpmn": DIRECT_ESCALATION.encode()})
    run = model.start({}, START)
    run.fire_timers(START + timedelta(days=2))
    assert sorted(t.bpmn_id for t in run.ready_tasks()) == ["chase", "work"]
    run = model.restore(run.state())
    work = next(t for t in run.ready_tasks() if t.bpmn_id == "work")
    run.complete(work.engine_id, {}, START + timedelta(days=3))
    assert run.ready_tasks() == []
    assert run.completed and run.end_event().id == "done", "the process ends instead of waiting on the chase"
    assert "chase" not in run.completed_elements()


def test_the_escalation_still_opens_while_the_activity_runs():
    model = engine.compile_model({"review.bpmn": DIRECT_ESCALATION.encode()})
    run = model.start({}, START)
    run.fire_timers(START + timedelta(days=2))
    chase = next(t for t in run.ready_tasks() if t.bpmn_id == "chase")
    run.complete(chase.engine_id, {}, START + timedelta(days=2))
    assert [t.bpmn_id for t in run.ready_tasks()] == ["work"] and not run.completed


def test_an_operating_zone_shows_what_it_waits_for_next_not_that_it_ended(app, session, login_as):
    zone = approve_zone(session)
    page = login_as("hq.food").get(f"/zones/{zone.id}").get_data(as_text=True)
    assert "流程已结束" not in page
    first_report = (add_duration(START, "P3M")).astimezone(tz=None)
    assert "下一事项" in page and "第一季度日常监督管理报告" in page
    assert add_duration(START, "P3M").strftime("%Y-%m-%d") in page or first_report.strftime("%Y-%m-%d") in page


def test_open_tasks_on_the_zone_page_link_for_those_who_may_act(app, session, login_as):
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    [task] = store.zone_open_tasks(session, zone.id)
    link = f'href="/tasks/{task.id}"'
    assert link in login_as("henan.bureau").get(f"/zones/{zone.id}").get_data(as_text=True)
    assert link not in login_as("hq.food").get(f"/zones/{zone.id}").get_data(as_text=True)
    assert link not in login_as("henan.gov").get(f"/zones/{zone.id}").get_data(as_text=True)


def test_a_rejected_zone_says_its_process_ended(app, session, login_as):
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    act(session, "henan.bureau", "bureau_recommendation", START, decision="reject", comment="不符合条件")
    page = login_as("henan.gov").get(f"/zones/{zone.id}").get_data(as_text=True)
    assert "流程已结束" in page and "下一事项" not in page


def test_the_lifecycle_model_scopes_the_escalation_itself(app, session, monkeypatch):
    """The model ends the escalation with its scope (a terminate end event), not only the engine's rule."""
    monkeypatch.setattr(engine.Run, "_withdraw_outlived", lambda run: False)
    zone, escalation = escalated_zone(app, session)
    act(session, "henan.bureau", "bureau_recommendation", START + timedelta(days=33), decision="recommend",
        comment="同意")
    session.expire_all()
    assert session.get(HumanTask, escalation.id).status == TaskStatus.CANCELLED
    assert [t.bpmn_id for t in store.zone_open_tasks(session, zone.id)] == ["organise_acceptance"]
