"""A zone's timeline: every step with who, when, what and what changed; filtered by stage, process and actor;
timer firings, reminders, escalations and claims included; every kind of event labelled."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

import workflow
from tests.conftest import MEASURE, START, act, application, approve_zone, pass_at, user
from workflow.errors import InvalidForm
from workflow.services import measures, tasks, timeline, zones
from workflow.web import EVENT_CATEGORIES, EVENT_LABELS


@pytest.fixture
def escalated(app, session):
    """Filed, escalated after 30 days, claimed, then sent back for revision and filed again."""
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    pass_at(app, START + timedelta(days=31))
    session.expire_all()
    [task] = [t for t in tasks.inbox(session, user(session, "henan.bureau")) if t.bpmn_id == "bureau_recommendation"]
    tasks.claim(session, user(session, "henan.bureau"), task.id, now=START + timedelta(days=32))
    act(session, "henan.bureau", "bureau_recommendation", START + timedelta(days=33, hours=5), decision="revise",
        comment="请补充业务量")
    act(session, "henan.gov", "submit_application", START + timedelta(days=35),
        **application(forecast_volume="年 6 万批"))
    return zone


def steps_of(session, zone, **filters):
    trace = zones.trace(session, user(session, "hq.clearance"), zone.id)
    return timeline.timeline(session, trace, timeline.Filters(**filters)).steps


def test_every_kind_of_step_is_on_the_timeline_in_order(session, escalated):
    kinds = [(s.event.kind, s.event.bpmn_id) for s in steps_of(session, escalated)]
    assert kinds == [
        ("task_completed", "submit_application"),
        ("timer_fired", "recommendation_overdue"),
        ("task_overdue", "bureau_recommendation"),
        ("task_claimed", "bureau_recommendation"),
        ("task_completed", "bureau_recommendation"),
        ("task_withdrawn", "recommendation_escalation"),
        ("task_completed", "submit_application"),
    ]
    fired = steps_of(session, escalated)[1].event
    assert fired.data["opens"] == [{"id": "recommendation_escalation", "name": "推荐逾期督办",
                                    "name_en": fired.data["opens"][0]["name_en"]}]


def test_each_step_says_who_with_role_and_organisation_and_how_long_since_the_last(session, escalated):
    recommended = steps_of(session, escalated)[4]
    assert recommended.person == user(session, "henan.bureau").display_name
    assert recommended.roles == ["bureau"] and recommended.event.organisation == "河南检验检疫局"
    assert recommended.since == timedelta(days=1, hours=5), "since the claim a day and five hours before"
    assert steps_of(session, escalated)[0].since is None
    assert steps_of(session, escalated)[1].person == "system"


def test_a_resubmitted_application_shows_only_what_changed(session, escalated):
    first, *_, again = steps_of(session, escalated)
    assert len(first.changes) >= 8 and all(c.added for c in first.changes)
    assert [(c.key, c.before, c.after) for c in again.changes] == [
        ("forecast_volume", "年检验检疫业务量 5 万批", "年 6 万批")]
    assert again.changes[0].field.label == "预测产业发展和检验检疫业务量"


def test_filters_by_stage_process_and_actor(session, escalated):
    assert {s.stage for s in steps_of(session, escalated)} == {"applying", "recommending"}
    recommending = steps_of(session, escalated, stage="recommending")
    assert [s.event.kind for s in recommending][:1] == ["timer_fired"]
    assert all(s.stage == "recommending" for s in recommending)
    by_gov = steps_of(session, escalated, actor="henan.gov")
    assert [s.event.bpmn_id for s in by_gov] == ["submit_application", "submit_application"]
    assert by_gov[1].since == timedelta(days=35), "time since the previous step shown"
    system = steps_of(session, escalated, actor="system")
    assert {s.event.kind for s in system} == {"timer_fired", "task_overdue", "task_withdrawn"}
    assert len(steps_of(session, escalated, process=escalated.lifecycle.id)) == 7


def test_operation_steps_belong_to_their_process(app, session):
    zone = approve_zone(session)
    measure = measures.file(session, user(session, "henan.gov"), zone.id, MEASURE)
    steps = steps_of(session, zone, process=measure.instance_id)
    assert [s.event.bpmn_id for s in steps][0] == "file_measure"
    assert all(s.case.kind == "measure" and s.stage == "operating" for s in steps)
    assert {s.stage for s in steps_of(session, zone)} >= {"applying", "recommending", "accepting", "approving",
                                                            "operating"}


@pytest.mark.parametrize("query", ["stage=flying", "actor=nobody", "process=999999", "process=abc"])
def test_a_bad_filter_is_a_400_naming_it(app, session, login_as, escalated, query):
    response = login_as("hq.clearance").get(f"/zones/{escalated.id}?{query}")
    assert response.status_code == 400
    trace = zones.trace(session, user(session, "hq.clearance"), escalated.id)
    name, value = query.split("=")
    if value.isdigit() or name != "process":
        with pytest.raises(InvalidForm) as err:
            timeline.timeline(session, trace, timeline.Filters(**{name: int(value) if value.isdigit() else value}))
        assert set(err.value.fields) == {name}


def test_the_zone_page_shows_the_timeline_with_labels_diffs_and_filters(app, session, login_as, escalated):
    client = login_as("hq.clearance")
    page = client.get(f"/zones/{escalated.id}").get_data(as_text=True)
    for label in ("定时触发", "逾期提醒", "认领任务", "任务撤回", "数据变化（1 项）", "距上一步 1 天 5 小时"):
        assert label in page, label
    assert "年 6 万批" in page and "<del>年检验检疫业务量 5 万批</del>" in page
    assert user(session, "henan.bureau").display_name in page
    only_gov = client.get(f"/zones/{escalated.id}?actor=henan.gov").get_data(as_text=True)
    assert only_gov.count('class="k-task_completed') == 2 and "k-timer_fired" not in only_gov
    english = client.get(f"/zones/{escalated.id}?lang=en").get_data(as_text=True)
    assert "Timer fired" in english and "Claimed" in english


def test_every_event_kind_written_anywhere_has_a_label_and_a_category():
    source = "\n".join(p.read_text() for p in Path(workflow.__file__).parent.rglob("*.py"))
    written = set(re.findall(r'kind="([a-z_]+)"', source)) | set(re.findall(r'audit_event\("([a-z_]+)"', source))
    written -= {"group", "user"}
    categorised = {k for _, kinds in EVENT_CATEGORIES.values() for k in kinds}
    assert written <= set(EVENT_LABELS), written - set(EVENT_LABELS)
    assert set(EVENT_LABELS) == categorised
