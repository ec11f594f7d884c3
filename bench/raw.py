"""The baseline: the lifecycle model run by SpiffWorkflow alone, each step a deserialize + complete + serialize.

This module imports SpiffWorkflow directly on purpose (the application only does so inside
``workflow.engine``): it measures the engine as its own documentation uses it, with the stock
Camunda serializer (spec included in the JSON) and the stock Python script engine.
"""

from __future__ import annotations

import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.task import TaskState

from bench.lifecycle import STEPS

ROOT = Path(__file__).resolve().parents[1]
LIFECYCLE = ROOT / "bpmn" / "zone_lifecycle.bpmn"
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))


def _spec():
    parser = CamundaParser()
    parser.add_bpmn_file(str(LIFECYCLE))
    return parser.get_spec("zone_lifecycle"), parser.get_subprocess_specs("zone_lifecycle")


def _step(state: str, bpmn_id: str, data: dict) -> str:
    """One request of the raw engine: restore from JSON, complete the task, run on, save to JSON."""
    workflow = SERIALIZER.deserialize_json(state)
    [task] = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == bpmn_id]
    task.set_data(**data)
    task.run()
    workflow.do_engine_steps()
    return SERIALIZER.serialize_json(workflow)


def lifecycle() -> list[float]:
    """Seconds per step of one lifecycle after the application (the steps the service layer is timed on)."""
    spec, subprocesses = _spec()
    workflow = BpmnWorkflow(spec, subprocesses)
    workflow.do_engine_steps()
    state = SERIALIZER.serialize_json(workflow)
    (first, data), *rest = STEPS
    state = _step(state, first, data)
    times = []
    for bpmn_id, data in rest:
        started = time.perf_counter()
        state = _step(state, bpmn_id, data)
        times.append(time.perf_counter() - started)
    assert SERIALIZER.deserialize_json(state).is_completed()
    return times
