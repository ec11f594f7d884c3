"""Models and runs: a deployed version parsed once (:class:`Model`) and a process instance in memory (:class:`Run`).

A run's saved state is a JSON-ready dict without the spec, which is rebuilt from the deployed
model that the instance is pinned to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent, EventBasedGateway
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from workflow import modelxml
from workflow.engine.guard import SCRIPT_ENGINE, count_step, running
from workflow.errors import EngineFailure, NotFound, TaskAlreadyDone
from workflow.modelxml import Element, Flow, Problem


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
                 properties: dict[str, str] | None = None, label: str = "", flows: list[Flow] | None = None,
                 warnings: list[Problem] | None = None) -> None:
        self.process_id = process_id
        self.warnings = list(warnings or [])  # what lint says of it that does not stop it (shown at deploy)
        self.label = label or process_id
        self.elements = elements
        self.properties = properties or {}
        self.flows = list(flows or [])
        self._between: dict[tuple[str, str], list[str]] = {}
        for flow in self.flows:
            self._between.setdefault((flow.source, flow.target), []).append(flow.id)
        self._spec = spec
        self._subprocess_specs = subprocess_specs

    @property
    def name(self) -> str:
        return self._spec.description or self.process_id

    @property
    def name_en(self) -> str:
        """The process's English name (its ``name_en`` property), or "" when the model gives none."""
        return self.properties.get("name_en", "")

    def element(self, bpmn_id: str) -> Element:
        return self.elements[bpmn_id]

    def flows_between(self, source: str, target: str) -> list[str]:
        """The ids of the sequence flows leading from one element to another (usually one, or none)."""
        return self._between.get((source, target), [])

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
        try:
            dct = dict(state)
            _SERIALIZER.migrate(dct)
            workflow = _SERIALIZER.from_dict(dct, spec=self._spec, subprocess_specs=self._subprocess_specs)
        except (KeyError, TypeError, ValueError, AttributeError, SpiffWorkflowException) as exc:
            raise EngineFailure(f"the saved state cannot be read: {type(exc).__name__}: {exc}",
                                self.process_id) from exc
        workflow.script_engine = SCRIPT_ENGINE
        return Run(self, workflow)


def _descendants(task) -> Iterator:
    for child in task.children:
        yield child
        yield from _descendants(child)


_REACHED = TaskState.COMPLETED | TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


def _reached(task) -> bool:
    """Whether the run's token got to this task (predicted tasks did not; a task cancelled once reached did)."""
    if task.has_state(_REACHED):
        return True
    parent = task.parent
    return (task.state == TaskState.CANCELLED and parent is not None and parent.state == TaskState.COMPLETED
            and not isinstance(parent.task_spec, EventBasedGateway))


def _previous_element(task, elements: Mapping[str, Element]) -> str | None:
    """The nearest model element above a task in the tree: where the flow into it came from."""
    parent = task.parent
    while parent is not None:
        bpmn_id = getattr(parent.task_spec, "bpmn_id", None)
        if bpmn_id in elements:
            return bpmn_id
        parent = parent.parent
    return None


_TIMER_EVENTS = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


class Run:
    """A process instance in memory."""

    def __init__(self, model: Model, workflow: BpmnWorkflow) -> None:
        self.model = model
        self._wf = workflow

    def advance(self) -> None:
        """Run the engine's own steps up to the next wait state (call within :func:`workflow.engine.guard.running`)."""
        self._wf.do_engine_steps(did_complete_task=count_step)
        while self._withdraw_outlived():
            self._wf.do_engine_steps(did_complete_task=count_step)

    def _tasks(self) -> Iterator:
        """Every task of the run, those of its subprocesses included."""
        yield from self._wf.tasks.values()
        for sub in self._wf.subprocesses.values():
            yield from sub.tasks.values()

    def _withdraw_outlived(self) -> bool:
        """Withdraw paths opened by a non-interrupting boundary event once the activity it watches has finished.

        Such a path (an escalation, a reminder) exists because of that activity; BPMN would keep it alive after
        the activity ends and so block the end of the whole process. Returns whether anything was withdrawn.
        """
        withdrawn = False
        for event in [t for t in self._tasks() if isinstance(t.task_spec, BoundaryEvent)
                      and not t.task_spec.cancel_activity and t.state == TaskState.COMPLETED]:
            watched = [c for c in event.parent.children if not isinstance(c.task_spec, BoundaryEvent)]
            open_path = any(not d.has_state(TaskState.FINISHED_MASK) for d in _descendants(event))
            if open_path and watched and all(w.has_state(TaskState.FINISHED_MASK) for w in watched):
                event.cancel()
                withdrawn = True
        if withdrawn:
            # A join (e.g. the process's implicit end join) waiting on the withdrawn path re-checks its inputs.
            for task in [t for t in self._tasks() if t.state == TaskState.WAITING and isinstance(t.task_spec, Join)]:
                task.task_spec._update(task)
        return withdrawn

    def ready_tasks(self) -> list[ReadyTask]:
        """Human tasks waiting for someone, in a stable order."""
        tasks = self._wf.get_tasks(state=TaskState.READY, manual=True)
        return [ReadyTask(str(t.id), self.model.element(t.task_spec.bpmn_id), dict(t.data)) for t in tasks]

    def _finished(self) -> set[UUID]:
        return {t.id for t in self._tasks() if t.state == TaskState.COMPLETED}

    def _done_since(self, before: set[UUID]) -> list[Done]:
        new = [t for t in self._tasks() if t.state == TaskState.COMPLETED and t.id not in before
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
        here = [t for t in self._tasks()
                if (t.state == TaskState.READY and t.task_spec.manual) or t.state == TaskState.WAITING]
        ids = [t.task_spec.bpmn_id for t in here if getattr(t.task_spec, "bpmn_id", None) in self.model.elements
               and t.task_spec.bpmn_id not in self._running_scopes()]
        return list(dict.fromkeys(ids))

    def _running_scopes(self) -> set[str]:
        """Subprocesses that are running: their inner tasks say where the run is, not the subprocess itself."""
        return {t.task_spec.bpmn_id for t in self._wf.tasks.values() if t.id in self._wf.subprocesses}

    def completed_elements(self) -> list[str]:
        """The model elements this run has passed (each once), in the order they were first completed."""
        done = sorted((t for t in self._tasks() if t.state == TaskState.COMPLETED
                       and getattr(t.task_spec, "bpmn_id", None) in self.model.elements),
                      key=lambda t: t.last_state_change)
        return list(dict.fromkeys(t.task_spec.bpmn_id for t in done))

    def taken_flows(self) -> list[str]:
        """The sequence flows the run has taken, each once, in the order it took them.

        SpiffWorkflow keeps no record of flows, but its task tree does: a task reached by the run
        hangs below the task it came from, with engine-internal tasks (splits, joins) in between.
        """
        taken = []
        for task in sorted(self._tasks(), key=lambda t: t.last_state_change):
            target = getattr(task.task_spec, "bpmn_id", None)
            if target not in self.model.elements or not _reached(task):
                continue
            source = _previous_element(task, self.model.elements)
            if source is not None:
                taken.extend(self.model.flows_between(source, target))
        return list(dict.fromkeys(taken))

    def waiting_timers(self) -> list[tuple[str, datetime]]:
        """The timers the run waits for, soonest first: (BPMN id of the timer event, when it is due in UTC).

        An event-based gateway holds the definitions of the events after it (SpiffWorkflow moves them
        there), so a timer behind a gateway is found on the gateway's task, named by the event it leads to.
        """
        due = []
        for task in self._wf.event_manager.tasks.values():
            spec = task.task_spec
            nested = getattr(spec.event_definition, "event_definitions", None)
            if nested is not None and isinstance(spec, EventBasedGateway):
                owners = [(d, getattr(o, "bpmn_id", spec.bpmn_id)) for d, o in zip(nested, spec.outputs, strict=False)]
            else:
                owners = [(spec.event_definition, spec.bpmn_id)]
            for definition, bpmn_id in owners:
                event = definition.details(task)
                if event.event_type in _TIMER_EVENTS and isinstance(event.value, str):
                    moment = datetime.fromisoformat(event.value)
                    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
                    due.append((bpmn_id, moment))
        return sorted(due, key=lambda pair: pair[1])

    def next_timer(self) -> datetime | None:
        """When the earliest waiting timer is due (UTC), or None when no timer waits."""
        timers = self.waiting_timers()
        return timers[0][1] if timers else None

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
