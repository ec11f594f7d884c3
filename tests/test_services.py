"""Use cases through the services: scoping, the whole path, and bad input that changes nothing."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.conftest import application
from workflow import store
from workflow.errors import InvalidForm, NotFound, PermissionDenied, StaleInstance, TaskAlreadyDone
from workflow.models import Event, HumanTask, ProcessInstance, TaskStatus, Zone, ZoneStatus
from workflow.services import tasks, zones

UNIT_USERS = {"opinion_clearance": "hq.clearance", "opinion_cnca": "hq.cnca", "opinion_health": "hq.health",
              "opinion_plant_animal": "hq.plant", "opinion_inspection": "hq.inspection", "opinion_food": "hq.food"}


def user(session, name):
    return store.user_by_name(session, name)


def inbox_ids(session, name):
    return sorted(t.bpmn_id for t in tasks.inbox(session, user(session, name)))


def task_of(session, name, bpmn_id):
    return next(t for t in tasks.inbox(session, user(session, name)) if t.bpmn_id == bpmn_id)


def act(session, name, bpmn_id, **data):
    return tasks.complete(session, user(session, name), task_of(session, name, bpmn_id).id, data)


def counts(session):
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Zone, ProcessInstance, HumanTask, Event))


def file(session, name="henan.gov", **overrides):
    return zones.file_application(session, user(session, name), application(**overrides))


def to_consolidation(session, decision="pass"):
    zone = file(session)
    act(session, "henan.bureau", "bureau_recommendation", decision="recommend", comment="同意推荐")
    act(session, "hq.clearance", "organise_acceptance", acceptance_date="2026-12-01", acceptance_scope="现场")
    for bpmn_id, name in UNIT_USERS.items():
        act(session, name, bpmn_id, decision=decision, comment="意见",
            conditions="补充查验场地" if decision == "conditional" else None)
    return zone


def test_filing_creates_zone_instance_task_and_history(session):
    zone = file(session)
    assert zone.status == ZoneStatus.RECOMMENDING
    assert zone.province == "henan" and zone.application["operator"] == "郑州航空港投资集团有限公司"
    [task] = store.zone_open_tasks(session, zone.id)
    assert task.bpmn_id == "bureau_recommendation" and task.groups() == ["bureau"]
    assert (task.due_at - task.created_at).days == 30
    [event] = store.history(session, zone.id)
    assert (event.actor, event.bpmn_id, event.organisation) == ("henan.gov", "submit_application", "河南省人民政府")


def test_inbox_shows_exactly_the_tasks_of_role_and_jurisdiction(session):
    file(session)
    assert inbox_ids(session, "henan.bureau") == ["bureau_recommendation"]
    assert inbox_ids(session, "henan.bureau2") == ["bureau_recommendation"]
    for other in ["jiangxi.bureau", "henan.gov", "jiangxi.gov", "hq.clearance", "hq.leader", "owner", "admin"]:
        assert inbox_ids(session, other) == [], other


def test_each_unit_sees_only_its_own_opinion_task(session):
    file(session)
    act(session, "henan.bureau", "bureau_recommendation", decision="recommend", comment="同意")
    act(session, "hq.clearance", "organise_acceptance", acceptance_date="2026-12-01", acceptance_scope="现场")
    for bpmn_id, name in UNIT_USERS.items():
        assert inbox_ids(session, name) == [bpmn_id]
    assert inbox_ids(session, "hq.leader") == []


def test_whole_path_to_operating(session):
    zone = to_consolidation(session)
    assert zone.status == ZoneStatus.ACCEPTING
    act(session, "hq.clearance", "consolidate", decision="pass", comment="通过")
    assert zone.status == ZoneStatus.APPROVING
    act(session, "hq.leader", "hq_approval", decision="approve", comment="同意",
        approval_number="国质检通函〔2026〕8号")
    session.refresh(zone)
    assert zone.status == ZoneStatus.OPERATING
    assert zone.approval_number == "国质检通函〔2026〕8号" and zone.approved_at is not None
    assert zone.instances[0].completed and zone.instances[0].end_event == "zone_operating"
    history = store.history(session, zone.id)
    steps = [(e.actor, e.bpmn_id, e.decision) for e in history if e.kind == "task_completed"]
    assert steps[0] == ("henan.gov", "submit_application", None)
    assert steps[-1] == ("hq.leader", "hq_approval", "approve")
    assert len(steps) == 1 + 1 + 1 + 6 + 1 + 1
    assert (history[-1].actor, history[-1].bpmn_id, history[-1].decision) == ("system", "zone_operating", "operating")
    supervision = zone.instances[-1]
    assert supervision.process_version.process_id == "zone_supervision" and supervision.period_no == 1
    assert supervision.period_start == zone.approved_at and supervision.next_timer_at is not None


def test_revise_returns_to_the_applicant_who_resubmits(session):
    zone = file(session)
    act(session, "henan.bureau", "bureau_recommendation", decision="revise", comment="补充业务量预测")
    assert zone.status == ZoneStatus.APPLYING
    assert inbox_ids(session, "henan.gov") == ["submit_application"]
    assert inbox_ids(session, "jiangxi.gov") == []
    act(session, "henan.gov", "submit_application", **application(forecast_volume="年 6 万批"))
    assert zone.application["forecast_volume"] == "年 6 万批"
    assert zone.status == ZoneStatus.RECOMMENDING


def test_rectify_then_acceptance_again(session):
    zone = to_consolidation(session, "conditional")
    act(session, "hq.clearance", "consolidate", decision="rectify", comment="整改查验场地")
    assert inbox_ids(session, "henan.gov") == ["rectification"]
    act(session, "henan.gov", "rectification", rectification_report="已整改")
    assert zone.status == ZoneStatus.ACCEPTING
    assert inbox_ids(session, "hq.clearance") == ["organise_acceptance"]


@pytest.mark.parametrize("path", ["not_recommended", "acceptance_rejected", "approval_rejected"])
def test_each_reject_ends_the_case_as_rejected(session, path):
    if path == "not_recommended":
        zone = file(session)
        act(session, "henan.bureau", "bureau_recommendation", decision="reject", comment="不具备条件")
    else:
        zone = to_consolidation(session, "fail" if path == "acceptance_rejected" else "pass")
        if path == "acceptance_rejected":
            act(session, "hq.clearance", "consolidate", decision="reject", comment="不通过")
        else:
            act(session, "hq.clearance", "consolidate", decision="pass", comment="通过")
            act(session, "hq.leader", "hq_approval", decision="reject", comment="暂缓")
    assert zone.status == ZoneStatus.REJECTED
    assert zone.instances[0].end_event == path
    assert store.zone_open_tasks(session, zone.id) == []


def test_approval_number_is_required_only_to_approve(session):
    to_consolidation(session)
    act(session, "hq.clearance", "consolidate", decision="pass", comment="通过")
    with pytest.raises(InvalidForm) as err:
        act(session, "hq.leader", "hq_approval", decision="approve", comment="同意")
    assert set(err.value.fields) == {"approval_number"}


@pytest.mark.parametrize(("overrides", "field"), [
    ({"zone_name": "郑州试验区"}, "zone_name"),
    ({"province": "jiangxi"}, "province"),
    ({"province": "atlantis"}, "province"),
    ({"operator": ""}, "operator"),
    ({"priority_policies": ["designated_port", "free_lunch"]}, "priority_policies"),
])
def test_bad_applications_are_refused_and_nothing_is_saved(session, overrides, field):
    before = counts(session)
    with pytest.raises(InvalidForm) as err:
        file(session, **overrides)
    session.rollback()
    assert field in err.value.fields
    assert counts(session) == before


def test_a_second_zone_with_the_same_name_is_refused(session):
    file(session)
    before = counts(session)
    with pytest.raises(InvalidForm) as err:
        file(session)
    assert set(err.value.fields) == {"zone_name"}
    session.rollback()
    assert counts(session) == before


def test_only_local_governments_file(session):
    with pytest.raises(PermissionDenied):
        file(session, "henan.bureau")


def test_task_of_another_province_is_not_found_and_of_another_unit_forbidden(session):
    file(session)
    task_id = task_of(session, "henan.bureau", "bureau_recommendation").id
    with pytest.raises(NotFound):
        tasks.complete(session, user(session, "jiangxi.bureau"), task_id, {"decision": "recommend", "comment": "x"})
    with pytest.raises(NotFound):
        tasks.page(session, user(session, "jiangxi.gov"), task_id)
    with pytest.raises(PermissionDenied):
        tasks.complete(session, user(session, "hq.clearance"), task_id, {"decision": "recommend", "comment": "x"})
    with pytest.raises(PermissionDenied):
        tasks.complete(session, user(session, "henan.gov"), task_id, {"decision": "recommend", "comment": "x"})


def test_double_submit_is_a_conflict_and_changes_nothing(session):
    file(session)
    task_id = task_of(session, "henan.bureau", "bureau_recommendation").id
    tasks.complete(session, user(session, "henan.bureau"), task_id, {"decision": "recommend", "comment": "同意"})
    before = counts(session)
    with pytest.raises(TaskAlreadyDone):
        tasks.complete(session, user(session, "henan.bureau2"), task_id, {"decision": "reject", "comment": "否"})
    session.rollback()
    assert counts(session) == before


def test_invalid_decision_changes_nothing(session):
    zone = file(session)
    instance = zone.instances[0]
    state, version = instance.state, instance.version
    with pytest.raises(InvalidForm):
        act(session, "henan.bureau", "bureau_recommendation", decision="maybe", comment="")
    session.rollback()
    session.refresh(instance)
    assert (instance.state, instance.version) == (state, version)
    assert task_of(session, "henan.bureau", "bureau_recommendation").status == TaskStatus.OPEN


def test_concurrent_completion_loses_cleanly(app, session):
    """Two requests load the same task; the second to commit gets 409 and saves nothing."""
    file(session)
    task_id = task_of(session, "henan.bureau", "bureau_recommendation").id
    db = app.extensions["workflow.db"]
    with db.session() as other:
        stale = other.get(ProcessInstance, session.get(HumanTask, task_id).instance_id)
        assert stale.version == 2
        tasks.complete(session, user(session, "henan.bureau"), task_id, {"decision": "recommend", "comment": "a"})
        stale.updated_at = datetime.now(UTC)
        with pytest.raises(StaleInstance):
            from workflow.services import commit
            commit(other)


def test_unit_sees_the_requested_policies_in_its_remit(session):
    file(session)
    act(session, "henan.bureau", "bureau_recommendation", decision="recommend", comment="同意")
    act(session, "hq.clearance", "organise_acceptance", acceptance_date="2026-12-01", acceptance_scope="现场")

    def remit(name, bpmn_id):
        return [o.id for o in tasks.page(session, user(session, name), task_of(session, name, bpmn_id).id).remit]

    assert remit("hq.cnca", "opinion_cnca") == ["third_party"]
    assert remit("hq.food", "opinion_food") == ["cbec_food"]
    assert remit("hq.health", "opinion_health") == []
    assert remit("hq.clearance", "opinion_clearance") == ["designated_port"]


def test_zone_visibility_by_role_and_jurisdiction(session):
    henan = file(session)
    jiangxi = file(session, "jiangxi.gov", zone_name="赣州国检试验区", province="jiangxi")
    seen = {name: {z.id for z in zones.listing(session, user(session, name)).zones}
            for name in ["henan.gov", "jiangxi.gov", "henan.bureau", "jiangxi.bureau", "hq.food", "hq.leader"]}
    assert seen["henan.gov"] == {henan.id} and seen["jiangxi.gov"] == {jiangxi.id}
    assert seen["henan.bureau"] == {henan.id} and seen["jiangxi.bureau"] == {jiangxi.id}
    assert seen["hq.food"] == seen["hq.leader"] == {henan.id, jiangxi.id}
    with pytest.raises(NotFound):
        zones.trace(session, user(session, "jiangxi.bureau"), henan.id)
