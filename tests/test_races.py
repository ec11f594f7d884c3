"""Officials racing each other on SQLite (the default of `make run`): one claim wins, a lost write is a 409
wherever it is flushed, and a step lost to a parallel branch is redone instead of shown to the user."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from tests.concurrency import as_user, at_once, claim_races, complete_and_claim_races, outcome, recommendation
from tests.conftest import application
from tests.server import login, served
from workflow import store
from workflow.errors import StaleInstance, TaskAlreadyDone
from workflow.models import Event, HumanTask, ProcessInstance, TaskStatus
from workflow.services import tasks, zones

UNITS = {"opinion_clearance": "hq.clearance", "opinion_cnca": "hq.cnca", "opinion_health": "hq.health",
         "opinion_plant_animal": "hq.plant", "opinion_inspection": "hq.inspection", "opinion_food": "hq.food"}
OPINION = {"decision": "pass", "comment": "同意"}


@pytest.fixture
def db(app):
    return app.extensions["workflow.db"]


def act(session, username, bpmn_id, zone_id, **data):
    user = store.user_by_name(session, username)
    task = next(t for t in tasks.inbox(session, user) if t.bpmn_id == bpmn_id and t.zone_id == zone_id)
    return tasks.complete(session, user, task.id, data)


def at_opinions(session, name):
    """A zone whose six acceptance opinions are open, in parallel branches of one instance."""
    zone = zones.file_application(session, store.user_by_name(session, "henan.gov"), application(zone_name=name))
    act(session, "henan.bureau", "bureau_recommendation", zone.id, decision="recommend", comment="同意")
    act(session, "hq.clearance", "organise_acceptance", zone.id, acceptance_date="2027-01-04",
        acceptance_scope="现场")
    return zone.id


def at_approval(session, name):
    zone_id = at_opinions(session, name)
    for bpmn_id, username in UNITS.items():
        act(session, username, bpmn_id, zone_id, decision="pass", comment="同意")
    act(session, "hq.clearance", "consolidate", zone_id, decision="pass", comment="通过")
    return zone_id


def task_of(session, username, bpmn_id, zone_id):
    user = store.user_by_name(session, username)
    return next(t.id for t in tasks.inbox(session, user) if t.bpmn_id == bpmn_id and t.zone_id == zone_id)


def test_of_two_officials_claiming_at_once_exactly_one_holds_the_task(db):
    assert claim_races(db, 20) == [("ClaimedByOther", "ok")] * 20


def test_a_task_is_not_claimed_by_one_official_while_another_completes_it(db, session):
    races = complete_and_claim_races(db, 10)
    assert set(races) <= {("ok", "TaskAlreadyDone"), ("ClaimedByOther", "ok")}, races
    both = session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.status == TaskStatus.DONE, HumanTask.claimed_by_id.is_not(None),
        HumanTask.claimed_by_id != HumanTask.completed_by_id))
    assert both == 0, "no task is done by one official while claimed by another"


def test_giving_a_task_back_twice_at_once_records_it_once(db, session):
    task_id = recommendation(db, "退回国检试验区")
    as_user(db, "henan.bureau", tasks.claim, task_id)()
    results = at_once(as_user(db, "henan.bureau", tasks.unclaim, task_id),
                      as_user(db, "henan.bureau", tasks.unclaim, task_id))
    assert [outcome(r) for r in results] == ["ok", "ok"]
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "task_unclaimed")) == 1


@pytest.mark.parametrize("flushed_by", ["a query", "the commit"])
def test_a_lost_write_is_a_conflict_whether_flushed_by_a_query_or_at_commit(db, session, flushed_by):
    zone_id = at_opinions(session, "陈旧国检试验区")
    instance = session.scalars(select(ProcessInstance).where(ProcessInstance.zone_id == zone_id)).one()
    with db.session() as other:
        other.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id)
                      .values(version=ProcessInstance.version + 1))
        other.commit()
    instance.position = "changed"
    with pytest.raises(StaleInstance):
        if flushed_by == "a query":
            store.open_tasks(session, instance.id)  # the query flushes the stale instance first
        else:
            session.commit()


def test_a_step_lost_to_a_parallel_branch_is_redone_on_the_new_state(db, session, monkeypatch):
    zone_id = at_opinions(session, "重做国检试验区")
    real_settle, lost = tasks.progress.settle, []

    def lose_once(session_, instance, *args, **kwargs):
        if not lost:  # as if another branch had saved the instance just before this step
            lost.append(instance.id)
            session_.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id)
                             .values(version=ProcessInstance.version + 1)
                             .execution_options(synchronize_session=False))
        return real_settle(session_, instance, *args, **kwargs)

    monkeypatch.setattr(tasks.progress, "settle", lose_once)
    done = act(session, "hq.cnca", "opinion_cnca", zone_id, decision="pass", comment="同意")
    assert lost and done.status == TaskStatus.DONE
    events = session.scalars(select(Event).where(Event.kind == "task_completed", Event.bpmn_id == "opinion_cnca"))
    assert len(events.all()) == 1


def _before_closing(monkeypatch, meanwhile):
    """Run ``meanwhile`` once, after the step read its task and instance and before it writes (closes the task)."""
    real_close, ran = store.close_task, []

    def close(session_, *args, **kwargs):
        if not ran:
            ran.append(True)
            meanwhile()
        return real_close(session_, *args, **kwargs)

    monkeypatch.setattr(store, "close_task", close)
    return ran


def test_a_branch_saved_between_reading_and_writing_is_read_again_not_overwritten(db, session, monkeypatch):
    zone_id = at_opinions(session, "并行国检试验区")

    def health_first():
        with db.session() as other:
            act(other, "hq.health", "opinion_health", zone_id, **OPINION)

    attempts = []
    real_complete = tasks._complete
    monkeypatch.setattr(tasks, "_complete", lambda *args: attempts.append(args[1].username) or real_complete(*args))
    ran = _before_closing(monkeypatch, health_first)
    act(session, "hq.cnca", "opinion_cnca", zone_id, **OPINION)
    assert ran and attempts.count("hq.cnca") == 1, "the state saved meanwhile was read again: no second attempt"
    session.expire_all()
    open_now = {t.bpmn_id for t in store.zone_open_tasks(session, zone_id)}
    assert open_now == set(UNITS) - {"opinion_health", "opinion_cnca"}, "both opinions count"
    done = session.scalars(select(Event.bpmn_id).where(Event.zone_id == zone_id, Event.kind == "task_completed"))
    assert {"opinion_health", "opinion_cnca"} <= set(done)


def test_an_instance_moved_to_another_version_meanwhile_is_stepped_again_on_that_version(db, session, monkeypatch):
    from workflow.services import deploy

    zone_id = at_opinions(session, "迁移国检试验区")
    instance_id = session.scalar(select(HumanTask.instance_id).where(HumanTask.zone_id == zone_id))
    source = (Path(__file__).parents[1] / "bpmn" / "zone_lifecycle.bpmn").read_bytes()
    v2, _ = deploy.upload(session, store.user_by_name(session, "owner"),
                          {"zone_lifecycle.bpmn": source + b"\n<!-- the same model, deployed again -->\n"})[0]
    session.commit()

    def moved():
        with db.session() as other:
            other.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                          .values(process_version_id=v2.id, version=ProcessInstance.version + 1))
            other.commit()

    attempts = []
    real_complete = tasks._complete
    monkeypatch.setattr(tasks, "_complete", lambda *args: attempts.append(args[1].username) or real_complete(*args))
    ran = _before_closing(monkeypatch, moved)
    done = act(session, "hq.cnca", "opinion_cnca", zone_id, **OPINION)
    assert ran and done.status == TaskStatus.DONE
    if session.get_bind().dialect.name == "sqlite":
        assert attempts == ["hq.cnca", "hq.cnca"], "the attempt on the old version gave up and the step began again"
    session.expire_all()
    assert session.get(ProcessInstance, instance_id).process_version_id == v2.id


def test_a_step_is_not_redone_once_the_task_is_no_longer_the_users(db, session, monkeypatch):
    zone_id = at_opinions(session, "已办国检试验区")
    task_id = task_of(session, "hq.cnca", "opinion_cnca", zone_id)
    real_complete, attempts = tasks._complete, []

    def colleague_first(session_, user, task_id_, raw, strict, now, limit):
        attempts.append(now)
        if len(attempts) == 1:  # lose the race to the same official in another window, who completed it
            with db.session() as other:
                real_complete(other, store.user_by_name(other, "hq.cnca"), task_id, OPINION, False, now, limit)
            raise StaleInstance("lost")
        return real_complete(session_, user, task_id_, raw, strict, now, limit)

    monkeypatch.setattr(tasks, "_complete", colleague_first)
    with pytest.raises(TaskAlreadyDone):
        tasks.complete(session, store.user_by_name(session, "hq.cnca"), task_id, OPINION)
    assert len(attempts) == 2, "the lost attempt, then one that finds the task done and stops"


def test_a_step_that_keeps_losing_gives_up_after_a_bounded_number_of_attempts(db, session, monkeypatch):
    zone_id = at_opinions(session, "有限国检试验区")
    task_id = task_of(session, "hq.cnca", "opinion_cnca", zone_id)
    attempts = []

    def always_lost(*_args):
        attempts.append(1)
        raise StaleInstance("lost")

    monkeypatch.setattr(tasks, "_complete", always_lost)
    with pytest.raises(StaleInstance):
        tasks.complete(session, store.user_by_name(session, "hq.cnca"), task_id, OPINION)
    assert len(attempts) == tasks.ATTEMPTS


@pytest.fixture
def served_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    with served(url, workers=2) as base:
        from workflow.db import Database

        db = Database(url)
        yield base, db
        db.dispose()


def submit(base, login_, task_id, **data):
    """A browser's form submit of a task, as a call for :func:`at_once`: its HTTP status."""
    http, csrf = login_
    return lambda: http.post(f"{base}/tasks/{task_id}", data={**data, "csrf_token": csrf},
                             allow_redirects=False).status_code


def test_two_leaders_approving_at_once_get_one_success_and_one_409(served_sqlite):
    base, db = served_sqlite
    leaders = [login(base, "hq.leader"), login(base, "hq.leader")]
    codes = []
    for i in range(5):
        with db.session() as s:
            task_id = task_of(s, "hq.leader", "hq_approval", at_approval(s, f"批准{i}国检试验区"))
        codes.append(sorted(at_once(*[submit(base, leader, task_id, decision="approve", comment="同意",
                                             approval_number="X-1") for leader in leaders])))
    assert codes == [[302, 409]] * 5


def test_six_units_giving_their_opinions_at_once_all_succeed(served_sqlite):
    base, db = served_sqlite
    units = {bpmn_id: login(base, username) for bpmn_id, username in UNITS.items()}
    codes = []
    for i in range(3):
        with db.session() as s:
            zone_id = at_opinions(s, f"意见{i}国检试验区")
            ids = {b: task_of(s, username, b, zone_id) for b, username in UNITS.items()}
        codes += at_once(*[submit(base, units[b], ids[b], decision="pass", comment="同意") for b in UNITS])
        with db.session() as s:
            assert [t.bpmn_id for t in store.zone_open_tasks(s, zone_id)] == ["consolidate"]
    assert codes == [302] * 18
