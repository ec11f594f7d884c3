"""The event log is hash-chained: an edited, inserted or deleted event is found and named."""

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, insert, select, update

from tests.conftest import START, approve_zone
from workflow import chain
from workflow.db import Database
from workflow.errors import NotAuthenticated
from workflow.models import ChainHead, Event, utcnow
from workflow.services import logins

EVENT = Event.__table__


def verdict(session, anchor=None):
    session.commit()
    return chain.verify(session.connection(), anchor)


@pytest.fixture
def history(app, session):
    """A zone taken through approval, plus a refused login: a few dozen chained events."""
    approve_zone(session)
    with pytest.raises(NotAuthenticated):
        logins.login(session, "henan.gov", "wrong", ip="10.0.0.1")
    session.commit()
    return session.scalars(select(Event.id).order_by(Event.seq)).all()


def test_every_event_is_chained_in_order_and_the_chain_holds(session, history):
    rows = session.execute(select(EVENT.c.seq, EVENT.c.prev_hash, EVENT.c.hash).order_by(EVENT.c.seq)).all()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == chain.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(rows, rows[1:], strict=False))
    head = session.get(ChainHead, 1)
    assert (head.seq, head.hash) == (rows[-1].seq, rows[-1].hash)
    result = verdict(session)
    assert result.holds and result.count == len(rows) > 15


def test_an_edited_event_is_named(session, history):
    target = history[5]
    session.execute(update(EVENT).where(EVENT.c.id == target).values(comment="改过的意见"))
    result = verdict(session)
    assert not result.holds
    assert (result.first.event_id, result.first.reason) == (target, "edited")
    assert len(result.breaks) == 1, "the rows after it still follow it"


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(session, history):
    target, after = history[3], history[4]
    row = session.execute(select(EVENT).where(EVENT.c.id == target)).mappings().one()
    forged = chain.digest(row["prev_hash"], {**row, "decision": "reject"})
    session.execute(update(EVENT).where(EVENT.c.id == target).values(decision="reject", hash=forged))
    result = verdict(session)
    assert (result.first.event_id, result.first.reason) == (after, "not_following")


def test_a_deleted_event_is_found_at_the_one_after_it(session, history):
    session.execute(delete(EVENT).where(EVENT.c.id == history[7]))
    result = verdict(session)
    assert (result.first.event_id, result.first.reason) == (history[8], "missing_before")


def test_deleting_the_newest_events_is_found_through_the_head(session, history):
    session.execute(delete(EVENT).where(EVENT.c.id.in_(history[-2:])))
    result = verdict(session)
    assert (result.first.event_id, result.first.reason) == (history[-3], "missing_after")


def test_rewriting_the_newest_event_is_found_through_the_head(session, history):
    row = session.execute(select(EVENT).where(EVENT.c.id == history[-1])).mappings().one()
    forged = chain.digest(row["prev_hash"], {**row, "ip": "192.0.2.9"})
    session.execute(update(EVENT).where(EVENT.c.id == history[-1]).values(ip="192.0.2.9", hash=forged))
    result = verdict(session)
    assert (result.first.event_id, result.first.reason) == (history[-1], "rewritten")


def test_an_event_inserted_behind_the_applications_back_is_named(session, history):
    inserted = session.execute(insert(EVENT).values(kind="login", at=utcnow(), actor="ghost", role="",
                                                    organisation="", organisation_en="", task_name="",
                                                    task_name_en="", comment="", data={})).inserted_primary_key[0]
    result = verdict(session)
    assert [(b.event_id, b.reason) for b in result.breaks] == [(inserted, "unchained")]


def test_an_event_appended_with_a_forged_link_is_beyond_the_head(session, history):
    last = session.execute(select(EVENT).where(EVENT.c.id == history[-1])).mappings().one()
    row = {**last, "id": last["id"] + 100, "seq": last["seq"] + 1, "comment": "伪造"}
    row.update(prev_hash=last["hash"], hash=chain.digest(last["hash"], row))
    session.execute(insert(EVENT).values(**row))
    result = verdict(session)
    assert (result.first.event_id, result.first.reason) == (row["id"], "after_head")


def test_an_anchor_catches_a_chain_rewritten_from_the_start(session, history):
    head = chain.head(session.connection())
    assert verdict(session, (head.seq, head.hash)).holds
    rows = session.execute(select(EVENT).order_by(EVENT.c.seq)).mappings().all()
    prev = chain.GENESIS
    for row in rows:  # an administrator with database access recomputes every hash
        changed = {**row, "comment": row["comment"] + "。"}
        digest = chain.digest(prev, changed)
        session.execute(update(EVENT).where(EVENT.c.id == row["id"])
                        .values(comment=changed["comment"], prev_hash=prev, hash=digest))
        prev = digest
    session.execute(update(ChainHead).values(hash=prev))
    assert verdict(session).holds, "without an anchor a full rewrite is consistent"
    anchored = verdict(session, (head.seq, head.hash))
    assert anchored.anchor_ok is False and not anchored.holds


def test_a_rolled_back_transaction_leaves_no_gap(session, history):
    session.add(Event(kind="login", actor="x", at=utcnow()))
    session.flush()
    session.rollback()
    session.add(Event(kind="login", actor="y", at=utcnow()))
    session.commit()
    assert verdict(session).holds
    assert session.scalar(select(func.max(Event.seq))) == session.scalar(select(func.count()).select_from(Event))


def test_every_column_of_an_event_is_chained_or_is_a_link():
    assert set(chain.CHAINED) | set(chain.LINKS) == set(EVENT.c.keys())


def test_events_written_before_the_chain_existed_are_chained_by_the_migration(tmp_path):
    from alembic import command

    from workflow.db import alembic_config

    db = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with db.engine.begin() as connection:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0002")
        for who in ("a", "b", "c"):
            connection.exec_driver_sql(
                "INSERT INTO event (at, kind, actor, role, organisation, organisation_en, task_name, task_name_en, "
                "comment, data) VALUES ('2027-01-04 01:30:00.000000', 'login', ?, '', '', '', '', '', '', '{}')",
                (who,))
    db.upgrade()
    with db.engine.connect() as connection:
        result = chain.verify(connection)
        assert result.holds and result.count == 3 and result.head_seq == 3
    with db.session() as session:
        session.add(Event(kind="login", actor="d", at=START))
        session.commit()
        assert session.scalar(select(Event.seq).where(Event.actor == "d")) == 4
    db.dispose()


def test_workflow_audit_verify_and_head(app, session, history, monkeypatch):
    from workflow.cli import main

    monkeypatch.setenv("WORKFLOW_DATABASE_URL", app.extensions["workflow.db"].url)
    runner = CliRunner()
    head = runner.invoke(main, ["audit", "head"])
    assert head.exit_code == 0
    anchor = head.output.split()[0]
    assert anchor == f"{len(history)}:{session.get(ChainHead, 1).hash}"
    ok = runner.invoke(main, ["audit", "verify", "--anchor", anchor])
    assert ok.exit_code == 0 and f"chain holds: {len(history)} event(s)" in ok.output
    session.execute(update(EVENT).where(EVENT.c.id == history[2]).values(actor="someone.else"))
    session.commit()
    broken = runner.invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"chain broken at event {history[2]}" in broken.output
    assert runner.invoke(main, ["audit", "verify", "--anchor", "12:xyz"]).exit_code == 2


def test_the_audit_page_pages_past_the_newest_two_hundred(app, session, login_as):
    for i in range(260):
        session.add(Event(kind="login_failed", actor=f"guess{i:03d}", ip="10.9.9.9", at=utcnow()))
    session.commit()
    admin = login_as("admin")
    seen, url, pages = set(), "/admin/audit?category=login", 0
    while url:
        page = admin.get(url).get_data(as_text=True)
        seen |= set(re.findall(r"guess\d{3}", page))
        older = re.search(r'href="(/admin/audit\?[^"]*before=\d+)"', page)
        url = older.group(1).replace("&amp;", "&") if older else None
        pages += 1
    assert seen == {f"guess{i:03d}" for i in range(260)} and pages == 3


def test_the_audit_page_names_categories_and_shows_the_chain(app, session, login_as, history):
    admin = login_as("admin")
    page = admin.get("/admin/audit?category=work").get_data(as_text=True)
    assert "业务办理" in page and "办理" in page and "登录失败" not in page
    head = session.get(ChainHead, 1)
    assert head.hash in page
    assert "校验通过" in admin.get("/admin/audit?verify=1").get_data(as_text=True)
    session.execute(update(EVENT).where(EVENT.c.id == history[4]).values(comment="改"))
    session.commit()
    broken = admin.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "链已断开" in broken and f"第一处问题在记录 #{history[4]}" in broken
    assert admin.get("/admin/audit?category=nonsense").status_code == 400
    assert admin.get("/admin/audit?before=x").status_code == 400


def test_events_of_a_rolled_back_savepoint_are_not_chained(session, history):
    session.add(Event(kind="login", actor="kept-before", at=utcnow()))
    with pytest.raises(RuntimeError), session.begin_nested():
        session.add(Event(kind="login", actor="undone", at=utcnow()))
        session.flush()
        raise RuntimeError("a failure inside the savepoint")
    session.add(Event(kind="login", actor="kept-after", at=utcnow(), data={"n": 1.5, "day": "2027-01-04"}))
    session.commit()
    assert verdict(session).holds
    actors = session.scalars(select(Event.actor).order_by(Event.seq.desc()).limit(2)).all()
    assert actors == ["kept-after", "kept-before"]
    assert session.scalar(select(func.max(Event.seq))) == session.scalar(select(func.count()).select_from(Event))
