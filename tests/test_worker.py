"""The timer worker keeps going: a failing instance is recorded and backed off, lost races are taken again,
two workers remind once, and the loop outlives failing passes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.concurrency import two_workers_remind
from tests.conftest import application
from workflow import store
from workflow.models import Event, HumanTask, ProcessInstance
from workflow.services import tasks, timers, zones

START = datetime(2027, 1, 4, 1, 30, tzinfo=UTC)
LATE = START + timedelta(days=31)  # the recommendation is overdue and its escalation timer is due


def file_zones(session, count):
    """``count`` zones waiting for their bureau's recommendation since START, alternately Henan and Jiangxi."""
    made = []
    for i in range(count):
        gov, province = ("henan.gov", "henan") if i % 2 == 0 else ("jiangxi.gov", "jiangxi")
        made.append(zones.file_application(session, store.user_by_name(session, gov),
                                           application(zone_name=f"第{i}国检试验区", province=province), now=START))
    return made


def instance_of(session, zone):
    return session.scalars(select(ProcessInstance).where(ProcessInstance.zone_id == zone.id)).one()


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def db(app):
    return app.extensions["workflow.db"]


def break_state(session, instance):
    """Save a state the engine cannot restore (as a bad migration or a hand edit would leave it)."""
    good = instance.state
    session.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id).values(state={"broken": True}))
    session.commit()
    return good


def test_a_failing_instance_is_recorded_and_backed_off_and_the_others_fire(db, session):
    first, broken, last = file_zones(session, 3)
    bad = instance_of(session, broken)
    break_state(session, bad)

    result = timers.run_pass(db, LATE)

    assert result.fired == 2 and [i for i, _ in result.failed] == [bad.id]
    session.expire_all()
    assert bad.timer_failures == 1 and bad.timer_retry_at == LATE + timedelta(minutes=5)
    [failure] = session.scalars(select(Event).where(Event.kind == "timer_failed")).all()
    assert failure.zone_id == broken.id and failure.instance_id == bad.id and "KeyError" in failure.comment
    assert failure.data == {"failures": 1, "retry_at": (LATE + timedelta(minutes=5)).isoformat()}
    escalated = {t.zone_id for t in session.scalars(select(HumanTask)
                                                    .where(HumanTask.bpmn_id == "recommendation_escalation"))}
    assert escalated == {first.id, last.id}

    assert timers.run_pass(db, LATE + timedelta(minutes=4)).failed == [], "left alone during its backoff"
    again = timers.run_pass(db, LATE + timedelta(minutes=5))
    assert [i for i, _ in again.failed] == [bad.id]
    session.expire_all()
    assert bad.timer_failures == 2 and bad.timer_retry_at == LATE + timedelta(minutes=15), "the backoff doubles"


def test_a_repaired_instance_fires_at_its_next_attempt_and_is_well_again(db, session):
    [zone] = file_zones(session, 1)
    instance = instance_of(session, zone)
    good_state = break_state(session, instance)
    timers.run_pass(db, LATE)
    session.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id).values(state=good_state))
    session.commit()

    assert timers.run_pass(db, LATE + timedelta(minutes=5)).fired == 1
    session.expire_all()
    assert (instance.timer_failures, instance.timer_retry_at) == (0, None)
    assert [t.bpmn_id for t in store.zone_open_tasks(session, zone.id)] == [
        "bureau_recommendation", "recommendation_escalation"]


def test_backoff_doubles_from_five_minutes_up_to_a_day():
    assert [timers.backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (5, 10, 20)]
    assert timers.backoff(9) == timedelta(minutes=1280) and timers.backoff(10) == timedelta(hours=24)
    assert timers.backoff(10_000) == timedelta(hours=24)


def test_an_official_winning_the_race_with_the_worker_costs_nothing(db, session, monkeypatch):
    """On SQLite nothing locks the row: the official commits while the worker holds the old state."""
    [zone] = file_zones(session, 1)
    real_settle, raced = timers.progress.settle, []

    def official_first(session_, instance, *args, **kwargs):
        if not raced:
            raced.append(instance.id)
            with db.session() as other:
                bureau = store.user_by_name(other, "henan.bureau")
                task = next(t for t in tasks.inbox(other, bureau) if t.zone_id == zone.id)
                tasks.complete(other, bureau, task.id, {"decision": "recommend", "comment": "同意"}, now=LATE)
        return real_settle(session_, instance, *args, **kwargs)

    monkeypatch.setattr(timers.progress, "settle", official_first)
    result = timers.run_pass(db, LATE)

    assert raced and result.failed == [] and result.fired == 0, "the worker took the instance again and found no timer"
    assert [t.bpmn_id for t in store.zone_open_tasks(session, zone.id)] == ["organise_acceptance"]
    assert count(session, Event, Event.kind == "timer_failed") == 0


def test_two_workers_reading_the_overdue_tasks_at_once_remind_each_once(db, session, monkeypatch):
    file_zones(session, 4)
    session.execute(update(ProcessInstance).values(next_timer_at=None))  # only the reminders are due
    session.commit()
    reminded, rows = two_workers_remind(db, monkeypatch, LATE)
    assert sum(reminded) == 4, "between them the two workers remind each task once"
    assert len(rows) == len(set(rows)) == 4


def test_the_worker_loop_outlives_a_failing_pass(db, session, monkeypatch):
    file_zones(session, 2)
    real_pass, calls, reports = timers.run_pass, [], []
    stop = threading.Event()

    def first_pass_fails(db_, now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("a bug in the pass")
        return real_pass(db_, now)

    def report(now, result):
        reports.append(result)
        stop.set()

    monkeypatch.setattr(timers, "run_pass", first_pass_fails)
    loop = threading.Thread(target=timers.work, args=(db, 0.01, stop, lambda: LATE, report))
    loop.start()
    loop.join(60)
    stop.set()
    assert len(calls) == 2 and [r.fired for r in reports] == [2]


def test_a_failing_timer_shows_on_the_zone_page_and_to_the_process_owner(db, session, login_as):
    [zone] = file_zones(session, 1)
    break_state(session, instance_of(session, zone))
    timers.run_pass(db, LATE)

    bureau_page = login_as("henan.bureau").get(f"/zones/{zone.id}").get_data(as_text=True)
    assert 'id="timer-failures"' in bureau_page and "已连续失败 1 次" in bureau_page
    assert "KeyError" not in bureau_page, "the technical reason is for the process owner"
    owner = login_as("owner")
    assert "KeyError" in owner.get(f"/zones/{zone.id}").get_data(as_text=True)
    listing = owner.get("/processes/timers").get_data(as_text=True)
    assert zone.name in listing and "KeyError" in listing
    assert 'href="/processes/timers"' in owner.get("/processes").get_data(as_text=True)
    assert login_as("henan.bureau").get("/processes/timers").status_code == 403


def test_a_zone_whose_timers_work_shows_no_failure(db, session, login_as):
    [zone] = file_zones(session, 1)
    timers.run_pass(db, LATE)
    assert 'id="timer-failures"' not in login_as("owner").get(f"/zones/{zone.id}").get_data(as_text=True)
    assert "没有出错的定时器" in login_as("owner").get("/processes/timers").get_data(as_text=True)


def test_a_single_pass_against_an_unreachable_database_says_so_and_exits_2(monkeypatch):
    from click.testing import CliRunner

    from workflow.cli import main

    monkeypatch.setenv("WORKFLOW_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 2 and "数据库暂时无法连接" in result.output
