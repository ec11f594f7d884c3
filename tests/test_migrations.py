"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workflow.db import Database
from workflow.models import Base


def test_migrations_match_the_models(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    db.upgrade()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    db.dispose()
    assert diff == []


def test_upgrade_is_idempotent(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    db.upgrade()
    db.upgrade()
    db.dispose()


def test_0006_fills_in_the_stage_of_open_tasks_and_who_filed_each_record(app, session):
    from datetime import timedelta

    from alembic import command
    from sqlalchemy import select, text

    from tests.conftest import START, operating_zone, pass_at, report
    from workflow.db import alembic_config
    from workflow.models import HumanTask, TaskStatus, ZoneRecord
    from workflow.timeparse import add_duration

    zone = operating_zone(session)
    quarter_end = add_duration(START, "P3M") + timedelta(hours=1)
    pass_at(app, quarter_end)
    session.expire_all()
    report(session, "q1", quarter_end)
    pass_at(app, add_duration(START, "P6M") + timedelta(hours=1))
    session.close()
    db = app.extensions["workflow.db"]
    with db.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
        connection.execute(text("UPDATE human_task SET stage = ''"))
    db.upgrade()
    with db.session() as fresh:
        open_tasks = fresh.scalars(select(HumanTask).where(HumanTask.status == TaskStatus.OPEN)).all()
        assert [(t.bpmn_id, t.stage) for t in open_tasks] == [("report_q2", "operating")]
        [record] = fresh.scalars(select(ZoneRecord).where(ZoneRecord.zone_id == zone.id, ZoneRecord.kind == "report"))
        assert record.person.username == "henan.bureau"
