"""Completing a task sends a bounded number of SQL statements (counted, not timed; see bench/steps.py)."""

from __future__ import annotations

from sqlalchemy import event

from tests.conftest import START, UNIT_USERS, application, user
from workflow import store
from workflow.services import tasks, zones

# Per completion, besides inserting the task rows it opens: select the task, lock the instance, read the
# claim again, close the task, read the state again (SQLite only), the instance's open rows, update the
# zone, save the state, the history row, and the four statements that chain the history row (13; 17 before
# the write path was made leaner). The approval also starts the supervision process: its version, the new
# instance, the zone's last rating, its open rows, its state and a second history row (6 more).
BOUND = 13
STARTS_SUPERVISION = BOUND + 6
STEPS = [("henan.bureau", "bureau_recommendation", {"decision": "recommend", "comment": "同意"}),
         ("hq.clearance", "organise_acceptance", {"acceptance_date": "2027-01-04", "acceptance_scope": "现场"})] + \
        [(name, bpmn_id, {"decision": "pass", "comment": "同意"}) for bpmn_id, name in UNIT_USERS.items()] + \
        [("hq.clearance", "consolidate", {"decision": "pass", "comment": "通过"}),
         ("hq.leader", "hq_approval", {"decision": "approve", "comment": "同意", "approval_number": "X-1"})]


def test_each_completion_of_the_lifecycle_stays_within_the_statement_bound(app, session):
    db = app.extensions["workflow.db"]
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    sent: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", seen)
    counts = {}
    for name, bpmn_id, data in STEPS:
        with db.session() as request:  # a fresh session, as each request has
            me = store.user_by_name(request, name)
            [task] = [t for t in store.zone_open_tasks(request, zone.id) if t.bpmn_id == bpmn_id]
            sent.clear()
            tasks.complete(request, me, task.id, data, now=START)
            opened = [s for s in sent if s.startswith(("INSERT INTO human_task ", "INSERT INTO task_candidate "))]
            counts[bpmn_id] = len(sent) - len(opened)
    event.remove(db.engine, "before_cursor_execute", seen)
    assert counts.pop("hq_approval") <= STARTS_SUPERVISION
    assert max(counts.values()) <= BOUND, counts
    session.refresh(zone)
    assert zone.status.value == "operating"


def test_completing_from_the_task_page_does_not_build_the_page_first(app, session, login_as):
    db = app.extensions["workflow.db"]
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    [task] = store.zone_open_tasks(session, zone.id)
    bureau = login_as("henan.bureau")
    sent: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    done = bureau.post(f"/tasks/{task.id}", data={"decision": "recommend", "comment": "同意",
                                                  "csrf_token": bureau.csrf})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/zones/{zone.id}")
    assert not [s for s in sent if "FROM event " in s and "event.kind !=" in s], "the zone's history was read"
    assert not [s for s in sent if "FROM measure" in s], "the zone's measures were read"
