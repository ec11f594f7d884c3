"""Handing work over: reassigning, delegating and getting it back, substitutes during leave; refusals change nothing."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, START, act, application, pass_at, user
from workflow.errors import ClaimedByOther, Conflict, InvalidForm, NotFound, PermissionDenied
from workflow.models import Event, HumanTask, Notification
from workflow.services import handover, inbox, tasks, zones


@pytest.fixture
def task(session):
    """A Henan application waiting for the bureau's recommendation."""
    zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    return tasks.inbox(session, user(session, "henan.bureau"))[0]


def kinds(session, zone_id):
    return [(e.kind, e.actor) for e in session.scalars(select(Event).where(Event.zone_id == zone_id)
                                                        .order_by(Event.id)) if e.kind != "automatic"]


def holder(session, task_id):
    session.expire_all()
    row = session.get(HumanTask, task_id)
    return (row.claimed_by.username if row.claimed_by else None,
            row.delegated_by.username if row.delegated_by else None)


def test_delegate_then_resolve_gives_the_task_back(session, task):
    me, colleague = user(session, "henan.bureau"), user(session, "henan.bureau2")
    tasks.claim(session, me, task.id)
    handover.delegate(session, me, task.id, "henan.bureau2")
    assert holder(session, task.id) == ("henan.bureau2", "henan.bureau")
    with pytest.raises(ClaimedByOther):
        tasks.complete(session, me, task.id, {"decision": "recommend", "comment": "同意"})
    assert [t.id for t in inbox.page(session, colleague, {"tab": "mine"}).tasks] == [task.id]
    handover.resolve(session, colleague, task.id, "已核实")
    assert holder(session, task.id) == ("henan.bureau", None)
    assert kinds(session, task.zone_id)[-3:] == [("task_claimed", "henan.bureau"), ("task_delegated", "henan.bureau"),
                                                 ("task_resolved", "henan.bureau2")]


def test_the_delegate_may_complete_the_task(session, task):
    handover.delegate(session, user(session, "henan.bureau"), task.id, "henan.bureau2")
    act(session, "henan.bureau2", "bureau_recommendation", decision="recommend", comment="同意")
    assert [k for k, _ in kinds(session, task.zone_id)][-2:] == ["task_delegated", "task_completed"]


@pytest.mark.parametrize(("to", "error"), [("jiangxi.bureau", PermissionDenied), ("henan.head", PermissionDenied),
                                           ("hq.clearance", PermissionDenied), ("nobody", InvalidForm),
                                           ("henan.bureau", InvalidForm)])
def test_delegating_to_someone_who_may_not_act_is_refused_and_changes_nothing(session, task, to, error):
    before = len(kinds(session, task.zone_id))
    with pytest.raises(error):
        handover.delegate(session, user(session, "henan.bureau"), task.id, to)
    session.rollback()
    assert holder(session, task.id) == (None, None)
    assert len(kinds(session, task.zone_id)) == before


def test_resolving_a_task_that_was_not_delegated_is_a_conflict(session, task):
    tasks.claim(session, user(session, "henan.bureau"), task.id)
    with pytest.raises(Conflict):
        handover.resolve(session, user(session, "henan.bureau"), task.id)
    with pytest.raises(ClaimedByOther):
        handover.delegate(session, user(session, "henan.bureau2"), task.id, "henan.bureau")


def test_the_bureau_head_reassigns_with_a_reason(session, task):
    tasks.claim(session, user(session, "henan.bureau"), task.id)
    handover.reassign(session, user(session, "henan.head"), task.id, "henan.bureau2", "经办人出差")
    assert holder(session, task.id) == ("henan.bureau2", None)
    [event] = session.scalars(select(Event).where(Event.kind == "task_reassigned")).all()
    assert (event.actor, event.comment, event.data) == ("henan.head", "经办人出差",
                                                        {"to": "henan.bureau2", "previous": "henan.bureau"})
    assert event.zone_id == task.zone_id, "in the zone's history and the audit log"
    assert told(session, "henan.bureau2") == [("reassigned", "经办人出差")]


def test_the_colleague_is_told_of_a_delegated_task(session, task):
    handover.delegate(session, user(session, "henan.bureau"), task.id, "henan.bureau2")
    assert told(session, "henan.bureau2") == [("delegated", "")]
    assert told(session, "henan.bureau") == []


def told(session, username: str) -> list[tuple[str, str]]:
    """The notifications of a person other than about new tasks (filing tells every candidate)."""
    me = user(session, username)
    return [(n.kind, n.note) for n in session.scalars(select(Notification).where(
        Notification.user_id == me.id, Notification.kind != "new_task").order_by(Notification.id))]


@pytest.mark.parametrize(("who", "to", "reason", "error"), [
    ("jiangxi.head", "jiangxi.bureau", "理由", NotFound),  # a task of another organisation (province)
    ("henan.bureau", "henan.bureau2", "理由", PermissionDenied),  # not a supervisor
    ("henan.head", "henan.bureau2", " ", InvalidForm),  # no reason
    ("henan.head", "jiangxi.bureau", "理由", PermissionDenied),  # someone of another organisation
])
def test_reassigning_wrongly_is_refused_and_changes_nothing(session, task, who, to, reason, error):
    with pytest.raises(error):
        handover.reassign(session, user(session, who), task.id, to, reason)
    session.rollback()
    assert holder(session, task.id) == (None, None)
    assert session.scalars(select(Event).where(Event.kind == "task_reassigned")).all() == []


def test_a_head_cannot_reassign_an_hq_task_to_the_bureau(session, task):
    act(session, "henan.bureau", "bureau_recommendation", decision="recommend", comment="同意")
    [hq_task] = tasks.inbox(session, user(session, "hq.clearance"))
    with pytest.raises(PermissionDenied):
        handover.reassign(session, user(session, "henan.head"), hq_task.id, "henan.bureau", "理由")


def test_a_substitute_sees_and_takes_over_the_absentees_work_during_the_leave_only(app, session):
    zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    pass_at(app, START + timedelta(days=31))
    session.expire_all()
    [escalation] = tasks.inbox(session, user(session, "henan.head"))
    head, stand_in = user(session, "henan.head"), user(session, "henan.bureau2")
    today = date.today()
    handover.add_substitute(session, head, "henan.bureau2", today - timedelta(days=1), today + timedelta(days=1))
    assert escalation.id in [t.id for t in tasks.inbox(session, stand_in)]
    tasks.claim(session, stand_in, escalation.id)
    assert holder(session, escalation.id) == ("henan.bureau2", None)
    assert session.scalars(select(Event.kind).where(Event.kind == "substitute_set")).all() == ["substitute_set"]
    with pytest.raises(InvalidForm):
        handover.add_substitute(session, head, "henan.bureau2", today, today - timedelta(days=1))
    with pytest.raises(PermissionDenied):
        handover.add_substitute(session, head, "jiangxi.bureau", today, today)
    with pytest.raises(PermissionDenied):
        handover.add_substitute(session, user(session, "henan.bureau"), "henan.bureau2", today, today, "henan.head")


def test_a_leave_in_the_future_gives_nothing_yet(app, session):
    zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    pass_at(app, START + timedelta(days=31))
    session.expire_all()
    later = date.today() + timedelta(days=10)
    handover.add_substitute(session, user(session, "henan.head"), "henan.bureau2", later, later)
    assert [t.bpmn_id for t in tasks.inbox(session, user(session, "henan.bureau2"))] == ["bureau_recommendation"]


def test_the_api_delegates_resolves_reassigns_and_keeps_substitutes(client, session, task):
    def token(name):
        response = client.post("/api/v1/token", json={"username": name, "password": PASSWORD})
        return {"Authorization": f"Bearer {response.json['token']}"}

    bureau, colleague, head = token("henan.bureau"), token("henan.bureau2"), token("henan.head")
    response = client.post(f"/api/v1/tasks/{task.id}/delegate", json={"to": "henan.bureau2"}, headers=bureau)
    assert response.status_code == 200 and response.json["delegated_by"] == "henan.bureau"
    assert client.post(f"/api/v1/tasks/{task.id}/delegate", json={"to": "jiangxi.bureau"},
                       headers=colleague).status_code == 403
    response = client.post(f"/api/v1/tasks/{task.id}/resolve", json={}, headers=colleague)
    assert response.status_code == 200 and response.json["claimed_by"] == "henan.bureau"
    assert client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "recommend"}},
                       headers=colleague).status_code == 409, "held by someone else"
    response = client.post(f"/api/v1/tasks/{task.id}/reassign", json={"to": "henan.bureau2", "reason": "出差"},
                           headers=head)
    assert response.status_code == 200 and response.json["claimed_by"] == "henan.bureau2"
    assert client.post(f"/api/v1/tasks/{task.id}/reassign", json={"to": "henan.bureau"},
                       headers=head).status_code == 400
    response = client.post("/api/v1/substitutes", json={"substitute": "henan.bureau2", "starts_on": "2030-01-01",
                                                         "ends_on": "2030-01-31"}, headers=bureau)
    assert response.status_code == 201 and response.json["absentee"] == "henan.bureau"
    assert client.get("/api/v1/substitutes", headers=colleague).json["total"] == 1
    assert client.post("/api/v1/substitutes", json={"substitute": "henan.bureau2", "starts_on": "2030-02-30",
                                                    "ends_on": "2030-01-31"}, headers=bureau).status_code == 400


def test_the_task_page_offers_delegation_and_shows_who_delegated(login_as, session, task):
    page = login_as("henan.bureau").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="to"' in page and "henan.bureau2" in page
    handover.delegate(session, user(session, "henan.bureau"), task.id, "henan.bureau2")
    page = login_as("henan.bureau2").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "/resolve" in page
    head = login_as("henan.head")
    assert head.get(f"/tasks/{task.id}/reassign").status_code == 200
    response = head.post(f"/tasks/{task.id}/reassign", data={"to": "henan.bureau", "reason": "",
                                                              "csrf_token": head.csrf})
    assert response.status_code == 400
