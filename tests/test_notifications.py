"""Notifications: who is told of what, once; the in-app list; e-mail sent by the worker, at most once."""

import re
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import START, application, pass_at, user
from workflow.models import HumanTask, MailOutbox, Notification, User
from workflow.services import notifications, outbox, timers, zones


def told(session, kind, task_bpmn_id=None):
    """User names told of ``kind`` (about that task), sorted."""
    query = select(Notification).where(Notification.kind == kind)
    rows = [n for n in session.scalars(query) if task_bpmn_id is None or n.task.bpmn_id == task_bpmn_id]
    return sorted(session.get(User, n.user_id).username for n in rows)


def file(session, now=START, gov="henan.gov", province="henan"):
    return zones.file_application(session, user(session, gov), application(province=province), now=now)


def test_a_new_task_is_told_to_its_candidates_who_may_see_the_zone(session):
    file(session)
    assert told(session, "new_task", "bureau_recommendation") == ["henan.bureau", "henan.bureau2"]


def test_notify_tells_only_people_who_may_see_the_zone(session):
    zone = file(session)
    task = session.scalars(select(HumanTask).where(HumanTask.zone_id == zone.id)).one()
    ids = [user(session, n).id for n in ("jiangxi.bureau", "hq.clearance", "henan.head")]
    told_now = notifications.notify(session, ids + ["group:hq_leader", "user:jiangxi.gov"], "delegated", task=task,
                                actor=user(session, "henan.bureau"), note="请代办")
    session.commit()
    assert sorted(session.get(User, i).username for i in told_now) == ["henan.head", "hq.clearance", "hq.leader"]
    assert told(session, "delegated") == ["henan.head", "hq.clearance", "hq.leader"]  # repeatable kinds repeat
    with pytest.raises(ValueError):
        notifications.notify(session, ids, "gossip", task=task)


def test_many_messages_at_once_each_reach_their_own_people_and_only_those_who_may_see_the_zone(session):
    zone = file(session)
    tasks_ = session.scalars(select(HumanTask).where(HumanTask.zone_id == zone.id)).all()
    groups = ["group:hq_leader", "group:bureau", "user:jiangxi.bureau", "group:local_gov"]
    messages = [notifications.Message([groups[n % 4]], "reassigned", tasks_[0]) for n in range(120)]  # 3 statements
    told_now = notifications.send(session, zone, messages, note="批量")
    session.commit()
    names = [sorted(session.get(User, i).username for i in ids) for ids in told_now]
    assert names[0] == names[4] == names[116] == ["hq.leader"]
    assert names[1] == names[117] == ["henan.bureau", "henan.bureau2"]
    assert names[2] == names[118] == [], "a bureau official of another province may not see the zone"
    assert names[3] == names[119] == ["henan.gov"]
    rows = session.scalars(select(Notification).where(Notification.kind == "reassigned")).all()
    assert len(rows) == 30 * (1 + 2 + 0 + 1) and {r.note for r in rows} == {"批量"}


def test_overdue_escalation_and_due_soon_are_told_once_however_many_passes(app, session):
    file(session)
    due = session.scalars(select(HumanTask)).one().due_at
    pass_at(app, due - timedelta(hours=20))
    pass_at(app, due - timedelta(hours=19))
    session.expire_all()
    assert told(session, "due_soon") == ["henan.bureau", "henan.bureau2"]
    assert told(session, "overdue") == []
    later = START + timedelta(days=31)
    pass_at(app, later)
    pass_at(app, later + timedelta(minutes=1))
    session.expire_all()
    assert told(session, "overdue", "bureau_recommendation") == ["henan.bureau", "henan.bureau2"]
    assert told(session, "escalation", "recommendation_escalation") == ["henan.head"]
    assert told(session, "new_task", "recommendation_escalation") == []


def test_a_claimed_overdue_task_is_told_to_its_holder_only(app, session):
    from workflow.services import tasks

    file(session)
    task = session.scalars(select(HumanTask)).one()
    tasks.claim(session, user(session, "henan.bureau2"), task.id, now=START)
    pass_at(app, START + timedelta(days=31))
    session.expire_all()
    assert told(session, "overdue", "bureau_recommendation") == ["henan.bureau2"]


def test_the_list_the_unread_count_and_marking_read(app, session, login_as):
    file(session)
    bureau = login_as("henan.bureau")
    inbox = bureau.get("/inbox").get_data(as_text=True)
    assert "1 条未读" in inbox
    page = bureau.get("/notifications").get_data(as_text=True)
    assert "新任务" in page and "直属局推荐意见" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    mine = session.scalars(select(Notification).where(Notification.user_id == user(session, "henan.bureau").id)).one()
    theirs = session.scalars(select(Notification)
                             .where(Notification.user_id == user(session, "henan.bureau2").id)).one()
    assert bureau.post("/notifications/read", data={"csrf_token": token, "id": theirs.id}).status_code == 302
    session.expire_all()
    assert theirs.read_at is None and mine.read_at is None  # someone else's notification is left alone
    for bad in ("x", "-1", "99999999999", "١"):
        assert bureau.post("/notifications/read", data={"csrf_token": token, "id": bad}).status_code == 400
    session.expire_all()
    assert mine.read_at is None
    bureau.post("/notifications/read", data={"csrf_token": token, "id": mine.id})
    session.expire_all()
    assert mine.read_at is not None
    assert "条未读" not in bureau.get("/inbox").get_data(as_text=True)
    assert notifications.unread_count(session, user(session, "henan.bureau2")) == 1
    notifications.mark_read(session, user(session, "henan.bureau2"))
    assert notifications.unread_count(session, user(session, "henan.bureau2")) == 0


def test_due_soon_and_overdue_badges_on_the_inbox_and_the_task_page(app, session, login_as, monkeypatch):
    from workflow import web

    file(session)
    task = session.scalars(select(HumanTask)).one()
    bureau = login_as("henan.bureau")
    soon, late = 'class="badge soon">即将到期', 'class="badge bad">已逾期'
    assert soon not in bureau.get("/inbox").get_data(as_text=True)
    monkeypatch.setattr(web, "utcnow", lambda: task.due_at - timedelta(hours=3))
    assert soon in bureau.get("/inbox").get_data(as_text=True)
    assert soon in bureau.get(f"/tasks/{task.id}").get_data(as_text=True)
    monkeypatch.setattr(web, "utcnow", lambda: task.due_at + timedelta(hours=3))
    assert late in bureau.get("/inbox").get_data(as_text=True)
    assert late in bureau.get(f"/tasks/{task.id}").get_data(as_text=True)


def _with_email(session, *names):
    for name in names:
        user(session, name).email = f"{name}@example.org"
    session.commit()


def test_mail_is_sent_by_the_worker_once_and_never_in_the_web_request(app, session, sink, login_as):
    _with_email(session, "henan.bureau")
    gov = login_as("henan.gov")
    answer = gov.post("/zones/new", data={**application(), "csrf_token": gov.csrf})
    assert answer.status_code in (302, 303)
    waiting = session.scalars(select(MailOutbox)).all()
    assert [m.to_addr for m in waiting] == ["henan.bureau@example.org"] and sink.messages == []
    smtp = outbox.Smtp("127.0.0.1", sink.port, sender="workflow@example.org")
    now = waiting[0].created_at + timedelta(minutes=1)
    assert timers.run_pass(app.extensions["workflow.db"], now, smtp).mailed == 1
    assert timers.run_pass(app.extensions["workflow.db"], now, smtp).mailed == 0
    assert len(sink.messages) == 1 and sink.messages[0].rcpt_tos == ["henan.bureau@example.org"]
    body = sink.messages[0].content.decode()
    assert "New task" in body
    session.expire_all()
    assert waiting[0].sent_at == now and waiting[0].attempts == 1


def test_a_refused_mail_is_tried_again_and_an_old_one_is_left(app, session, sink):
    _with_email(session, "henan.bureau")
    file(session)
    db = app.extensions["workflow.db"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    mail = session.scalars(select(MailOutbox)).one()
    assert outbox.deliver(db, START, outbox.Smtp("127.0.0.1", closed)) == 0
    session.expire_all()
    assert mail.sent_at is None and mail.claimed_at is None and mail.attempts == 1 and mail.error
    assert outbox.deliver(db, START + outbox.MAX_AGE + timedelta(seconds=1), outbox.Smtp("127.0.0.1", sink.port)) == 0
    assert outbox.deliver(db, START, outbox.Smtp("127.0.0.1", sink.port)) == 1
    assert len(sink.messages) == 1


def test_a_claimed_mail_is_not_sent_by_a_second_worker(app, session, sink):
    from sqlalchemy import update

    _with_email(session, "henan.bureau")
    file(session)
    session.execute(update(MailOutbox).values(claimed_at=START))  # another worker is sending it
    session.commit()
    assert outbox.deliver(app.extensions["workflow.db"], START, outbox.Smtp("127.0.0.1", sink.port)) == 0
    assert sink.messages == []


def test_no_smtp_host_no_mail():
    assert outbox.Smtp.from_settings({"SMTP_HOST": ""}) is None
    settings = {"SMTP_HOST": "mail", "SMTP_PORT": "2525", "SMTP_USER": "", "SMTP_PASSWORD": "",
                "SMTP_FROM": "a@b", "SMTP_STARTTLS": False}
    assert outbox.Smtp.from_settings(settings).port == 2525


def test_an_administrator_sets_an_email_address_and_a_bad_one_is_refused(session):
    from workflow.errors import InvalidForm
    from workflow.models import Event
    from workflow.services import accounts

    admin, bureau = user(session, "admin"), user(session, "henan.bureau")

    def account(email):
        return accounts.Account(roles=["bureau"], organisation="henan-bureau", display_name=bureau.display_name,
                                email=email)

    for bad in ("no-at-sign", "a@b", "a b@example.org", "a@@example.org"):
        with pytest.raises(InvalidForm) as refused:
            accounts.update_user(session, admin, bureau.id, account(bad))
        assert "email" in refused.value.fields
        session.rollback()
    accounts.update_user(session, admin, bureau.id, account("henan.bureau@example.org"))
    assert user(session, "henan.bureau").email == "henan.bureau@example.org"
    changed = session.scalars(select(Event).where(Event.kind == "user_changed")).all()[-1]
    assert changed.data["changes"]["email"] == ["", "henan.bureau@example.org"]
