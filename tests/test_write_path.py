"""Completing a task sends a bounded number of SQL statements (counted, not timed; see bench/steps.py)."""

from __future__ import annotations

from sqlalchemy import event, func, select

from tests.conftest import START, UNIT_USERS, application, user
from workflow import store
from workflow.models import HumanTask
from workflow.services import deploy, tasks, zones

# Per completion, besides opening tasks (their rows, candidates and inbox keys, and telling their candidates: one
# statement for who may be told of all the opened tasks and one insert of their notifications): select the task with
# its instance, locked; close the task, drop its inbox keys, check the instance's version (SQLite only), the
# instance's open rows, update the zone (its status here; its last activity when time has passed), save the state,
# the history row, and the three statements that chain the history row (11; the same path sent 17 before it was made
# leaner, and 14 with the inbox keys and before the task, the claim and the state were read in one statement and the
# chain stopped reading its rows back). The approval also starts the supervision process: its version, the new
# instance, the zone's last rating, its open rows, its state and a second history row (6 more).
BOUND = 11
STARTS_SUPERVISION = BOUND + 6
WEIGHS_OPINIONS = BOUND + 1  # the consolidation reads the six opinions (one statement) for its confirmation rule
_AUDIENCE = "user_account.id, user_account.email FROM user_account "
STEPS = [("henan.bureau", "bureau_recommendation", {"decision": "recommend", "comment": "同意"}),
         ("hq.clearance", "organise_acceptance", {"acceptance_date": "2027-01-04", "acceptance_scope": "现场"})] + \
        [(name, bpmn_id, {"decision": "pass", "comment": "同意"}) for bpmn_id, name in UNIT_USERS.items()] + \
        [("hq.clearance", "consolidate", {"decision": "pass", "comment": "通过"}),
         ("hq.leader", "hq_approval", {"decision": "approve", "comment": "同意", "approval_number": "X-1"})]


def test_each_completion_of_the_lifecycle_stays_within_the_statement_bound(app, session):
    db = app.extensions["workflow.db"]
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    deploy.current(session, "zone_supervision")  # steady state: a server has parsed the models it runs before
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
            step = list(sent)
            opened = [s for s in step if s.startswith(("INSERT INTO human_task ", "INSERT INTO task_candidate ",
                                                                 "INSERT INTO task_key "))]
            told = [s for s in step if s.startswith("INSERT INTO notification ") or _AUDIENCE in s]
            new_tasks = request.scalar(select(func.count()).where(HumanTask.id > task.id))
            assert len(told) <= (2 if new_tasks else 0), told  # two statements, however many tasks opened
            counts[bpmn_id] = len(step) - len(opened) - len(told)
    event.remove(db.engine, "before_cursor_execute", seen)
    assert counts.pop("hq_approval") <= STARTS_SUPERVISION
    assert counts.pop("consolidate") <= WEIGHS_OPINIONS
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
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox")  # no task left for the bureau
    assert not [s for s in sent if "FROM event " in s and "event.kind !=" in s], "the zone's history was read"
    assert not [s for s in sent if "FROM measure" in s], "the zone's measures were read"
