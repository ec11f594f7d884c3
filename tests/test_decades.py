"""A zone operating for 50 years: quarterly reports driven by `workflow worker --once --now`, one
bounded process instance per year, no drift of the yearly cadence, one continuous history."""

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import func, select

from tests.conftest import START, act, report
from workflow.cli import main
from workflow.models import Event, ProcessInstance, ZoneRecord
from workflow.timeparse import add_duration

YEARS = 50


def worker_once(when):
    result = CliRunner().invoke(main, ["worker", "--once", "--now", when.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_fifty_years_of_supervision(app, session, zone, monkeypatch):  # noqa: F811
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", app.extensions["workflow.db"].url)
    for year in range(YEARS):
        year_start = add_duration(START, f"P{year}Y")
        for i, quarter in enumerate(["q1", "q2", "q3", "q4"], start=1):
            when = add_duration(year_start, f"P{3 * i}M") + timedelta(hours=1)
            worker_once(when)
            session.expire_all()
            report(session, quarter, when)
            if quarter == "q3":
                risk_time = add_duration(year_start, "P10M") + timedelta(hours=1)
                worker_once(risk_time)
                session.expire_all()
                act(session, "hq.clearance", "risk_assessment", risk_time, risk_level="low", findings="可控")
        eval_time = add_duration(year_start, "P12M") + timedelta(hours=3)
        assert "fired" in worker_once(eval_time)
        session.expire_all()
        act(session, "hq.clearance", "evaluation", eval_time, comment="合格", score_reform=75,
            score_facilitation=75, score_safety=75, score_innovation=75)

    def count(kind):
        return session.scalar(select(func.count()).select_from(ZoneRecord)
                              .where(ZoneRecord.zone_id == zone.id, ZoneRecord.kind == kind))

    assert count("report") == 4 * YEARS
    assert count("evaluation") == YEARS and count("risk") == YEARS
    years = session.scalars(select(ProcessInstance).where(ProcessInstance.zone_id == zone.id,
                                                          ProcessInstance.period_no.is_not(None))
                            .order_by(ProcessInstance.period_no)).all()
    assert [y.period_no for y in years] == list(range(1, YEARS + 2))
    assert all(y.completed for y in years[:-1]) and not years[-1].completed
    assert years[-1].period_start == add_duration(START, f"P{YEARS}Y"), "the yearly cadence does not drift"
    largest = max(len(y.state["tasks"]) for y in years)
    assert largest < 60, f"each year's instance stays bounded ({largest} engine tasks)"
    assert max(len(json.dumps(y.state)) for y in years) < 100_000
    history = session.scalar(select(func.count()).select_from(Event).where(Event.zone_id == zone.id,
                                                                           Event.kind == "task_completed"))
    assert history >= 6 * YEARS, "the zone keeps one continuous history across its yearly instances"
