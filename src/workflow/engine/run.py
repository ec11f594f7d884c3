"""Models and runs: a deployed version parsed once (:class:`Model`) and a process instance in memory (:class:`Run`).

A run's saved state is a JSON-ready dict without the spec, which is rebuilt from the deployed
model that the instance is pinned to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from workflow import modelxml
from workflow.engine.guard import SCRIPT_ENGINE, count_step, running
from workflow.errors import NotFound, TaskAlreadyDone
from workflow.modelxml import Element


class _SpecFreeConverter(BpmnWorkflowConverter):
    """Saves a workflow without its spec; restores it onto the spec of the deployed model."""

    def to_dict(self, workflow):
        dct = super().to_dict(workflow)
        del dct["spec"], dct["subprocess_specs"]
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_SERIALIZER = BpmnWorkflowSerializer(
    BpmnWorkflowSerializer.configure({**DEFAULT_CONFIG, BpmnWorkflow: _SpecFreeConverter})
)


@dataclass(frozen=True)
class ReadyTask:
    """A human task the engine is waiting on, with the data it starts from."""

    engine_id: str
    element: Element
    data: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def bpmn_id(self) -> str:
        return self.element.id


@dataclass(frozen=True)
class Done:
    """A model element the run completed in one step (user task, rule task, event...), with its data."""

    element: Element
    data: dict[str, Any]


class Model:
    """One deployed version of a process: parsed once, shared by all its runs."""

    def __init__(self, process_id: str, elements: dict[str, Element], spec, subprocess_specs,
                 properties: dict[str, str] | None = None, label: str = "") -> None:
        self.process_id = process_id
        self.label = label or process_id
        self.elements = elements
        self.properties = properties or {}
        self._spec = spec
        self._subprocess_specs = subprocess_specs

    @property
    def name(self) -> str:
        return self._spec.description or self.process_id

    def element(self, bpmn_id: str) -> Element:
        return self.elements[bpmn_id]

    def first_task(self) -> Element | None:
        """The human task a new run opens first, read from the diagram without running anything."""
        return modelxml.first_task(self.elements, self.process_id)

    def start(self, data: Mapping[str, Any] | None = None, now: datetime | None = None) -> Run:
        """Create a run with initial data and advance it to its first wait state, within the budget."""
        with running(self, now):
            workflow = BpmnWorkflow(self._spec, self._subprocess_specs, script_engine=SCRIPT_ENGINE)
            workflow.task_tree.data.update(data or {})
            run = Run(self, workflow)
            run.advance()
        return run

    def restore(self, state: Mapping[str, Any]) -> Run:
        """Rebuild a run from state saved by :meth:`Run.state`."""
        dct = dict(state)
        _SERIALIZER.migrate(dct)
        workflow = _SERIALIZER.from_dict(dct, spec=self._spec, subprocess_specs=self._subprocess_specs)
        workflow.script_engine = SCRIPT_ENGINE
        return Run(self, workflow)


_TIMER_EVENTS = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


class Run:
    """A process instance in memory."""

    def __init__(self, model: Model, workflow: BpmnWorkflow) -> None:
        self.model = model
        self._wf = workflow

    def advance(self) -> None:
        """Run the engine's own steps up to the next wait state (call within :func:`workflow.engine.guard.running`)."""
        self._wf.do_engine_steps(did_complete_task=count_step)

    def ready_tasks(self) -> list[ReadyTask]:
        """Human tasks waiting for someone, in a stable order."""
        tasks = self._wf.get_tasks(state=TaskState.READY, manual=True)
        return [ReadyTask(str(t.id), self.model.element(t.task_spec.bpmn_id), dict(t.data)) for t in tasks]

    def _finished(self) -> set[UUID]:
        return {t.id for t in self._wf.tasks.values() if t.state == TaskState.COMPLETED}

    def _done_since(self, before: set[UUID]) -> list[Done]:
        new = [t for t in self._wf.tasks.values() if t.state == TaskState.COMPLETED and t.id not in before
               and getattr(t.task_spec, "bpmn_id", None) in self.model.elements]
        new.sort(key=lambda t: t.last_state_change)
        return [Done(self.model.element(t.task_spec.bpmn_id), dict(t.data)) for t in new]

    def complete(self, engine_id: str, data: Mapping[str, Any], now: datetime | None = None) -> list[Done]:
        """Complete one ready human task with validated data and run on to the next wait state.

        Returns every element completed on the way (the task itself, rule tasks, events, ends).
        """
        try:
            task = self._wf.get_task_from_id(UUID(engine_id))
        except (TaskNotFoundException, ValueError):
            raise NotFound("no such task in this process") from None
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskAlreadyDone("this task is not waiting for input")
        before = self._finished()
        task.set_data(**data)
        with running(self.model, now):
            task.run()
            self.advance()
        return self._done_since(before)

    def fire_timers(self, now: datetime) -> list[Done]:
        """Fire every timer due at ``now`` and run on; returns what completed."""
        before = self._finished()
        with running(self.model, now):
            self._wf.refresh_timers()
            self.advance()
        return self._done_since(before)

    def position(self) -> list[str]:
        """Where the run is: the BPMN ids of its ready human tasks and of the events it waits for."""
        here = [t for t in self._wf.tasks.values()
                if (t.state == TaskState.READY and t.task_spec.manual) or t.state == TaskState.WAITING]
        ids = [t.task_spec.bpmn_id for t in here if getattr(t.task_spec, "bpmn_id", None) in self.model.elements]
        return list(dict.fromkeys(ids))

    def next_timer(self) -> datetime | None:
        """When the earliest waiting timer is due (UTC), or None when no timer waits."""
        due = []
        for event in self._wf.waiting_events():
            value = event.value
            if event.event_type in _TIMER_EVENTS and isinstance(value, str):
                moment = datetime.fromisoformat(value)
                due.append(moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC))
        return min(due, default=None)

    @property
    def completed(self) -> bool:
        return self._wf.is_completed()

    @property
    def data(self) -> dict[str, Any]:
        return dict(self._wf.data)

    def end_event(self) -> Element | None:
        """The end event the run finished at, once completed."""
        ends = [
            t for t in self._wf.tasks.values()
            if t.state == TaskState.COMPLETED and isinstance(t.task_spec, EndEvent)
            and t.task_spec.bpmn_id in self.model.elements
        ]
        if not ends:
            return None
        return self.model.element(max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_id)

    def state(self) -> dict[str, Any]:
        """JSON-ready state without the spec."""
        dct = _SERIALIZER.to_dict(self._wf)
        dct[_SERIALIZER.VERSION_KEY] = _SERIALIZER.VERSION
        return dct

    @property
    def task_count(self) -> int:
        return len(self._wf.tasks)
