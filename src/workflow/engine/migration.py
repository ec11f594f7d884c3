"""Moving a running instance onto another version of its model, by SpiffWorkflow's own diff and migrate rules.

A run may move when no task it has completed or started is changed or removed in the target
version, and none of its running subprocesses is gone (the rule SpiffArena applies). Tasks that
wait (ready or waiting) are reset onto the target's specs and predicted again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.util.diff import diff_workflow, filter_tasks, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from workflow.engine.guard import running
from workflow.engine.run import _SERIALIZER, Done, Model, Run

_SETTLED = TaskState.COMPLETED | TaskState.STARTED


@dataclass(frozen=True)
class Blocker:
    """Why a run cannot move: an element it has passed (or is inside) that the target changed or removed."""

    element_id: str
    reason: str  # changed | removed | subprocess_removed


def _blockers(top, subprocesses) -> list[Blocker]:
    found = []
    for diff in [top, *(d for d in subprocesses.values() if d is not None)]:
        for task in filter_tasks(diff.removed, state=_SETTLED):
            found.append(Blocker(task.task_spec.name, "removed"))
        for task in filter_tasks(diff.changed, state=_SETTLED):
            if task not in diff.removed:
                found.append(Blocker(task.task_spec.name, "changed"))
    return found


def _diff(run: Run, target: Model):
    workflow = run._wf
    top, subprocesses = diff_workflow(_SERIALIZER.registry, workflow, target._spec, target._subprocess_specs)
    blockers = _blockers(top, subprocesses)
    for sp_id, diff in subprocesses.items():
        if diff is None:
            blockers.append(Blocker(workflow.subprocesses[sp_id].spec.name, "subprocess_removed"))
    return top, subprocesses, list(dict.fromkeys(blockers))


def check(run: Run, target: Model) -> list[Blocker]:
    """What keeps the run from moving to ``target`` (empty: it can move)."""
    return _diff(run, target)[2]


def migrate(run: Run, target: Model, now: datetime | None = None) -> tuple[Run, list[Done]]:
    """Move the run onto ``target`` and run on to its next wait state; raises ValueError if it cannot move.

    The given run is changed in place and must not be used afterwards: use the returned one.
    """
    top, subprocesses, blockers = _diff(run, target)
    if blockers:
        raise ValueError(f"cannot migrate: {blockers}")
    workflow = run._wf
    before = run._finished()
    with running(target, now):
        migrate_workflow(top, workflow, target._spec)
        for sp_id, sub in workflow.subprocesses.items():
            migrate_workflow(subprocesses[sp_id], sub, target._subprocess_specs.get(sub.spec.name))
        workflow.subprocess_specs = target._subprocess_specs
        moved = Run(target, workflow)
        moved.advance()
    return moved, moved._done_since(before)
