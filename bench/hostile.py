"""How long hostile models take to be refused: at lint, and by the engine's budget when they slip past lint.

Also reports the most one engine call of the shipped lifecycle spends, beside the budget.

Run: make bench   (or .venv/bin/python bench/hostile.py [--repeat N])
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from pathlib import Path

from workflow import engine, expressions, limits
from workflow.errors import EngineFailure, InvalidExpression

ROOT = Path(__file__).resolve().parents[1]
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {body}
    <bpmn:userTask id="t1" camunda:candidateGroups="bureau"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f9</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="x" />
    <bpmn:sequenceFlow id="f9" sourceRef="t1" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""
OUT = '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="t1" />'
MODELS = {
    "multi-instance of 10^9": """<bpmn:task id="x"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>1000000000</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics></bpmn:task>""" + OUT,
    "standard loop, always true": """<bpmn:subProcess id="x"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:standardLoopCharacteristics><bpmn:loopCondition>True</bpmn:loopCondition>
      </bpmn:standardLoopCharacteristics><bpmn:startEvent id="s2"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:endEvent id="e2"><bpmn:incoming>g1</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="g1" sourceRef="s2" targetRef="e2" /></bpmn:subProcess>""" + OUT,
    "gateway loop, no wait state": """<bpmn:exclusiveGateway id="x"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:incoming>back</bpmn:incoming><bpmn:outgoing>on</bpmn:outgoing></bpmn:exclusiveGateway>
      <bpmn:exclusiveGateway id="g2" default="f2"><bpmn:incoming>on</bpmn:incoming><bpmn:outgoing>back</bpmn:outgoing>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>
      <bpmn:sequenceFlow id="on" sourceRef="x" targetRef="g2" />
      <bpmn:sequenceFlow id="back" sourceRef="g2" targetRef="x"><bpmn:conditionExpression
        xsi:type="bpmn:tFormalExpression">1 == 1</bpmn:conditionExpression></bpmn:sequenceFlow>
      <bpmn:sequenceFlow id="f2" sourceRef="g2" targetRef="t1" />""",
    "timer of 10^9 days": """<bpmn:intermediateCatchEvent id="x"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:timerEventDefinition id="td"><bpmn:timeDuration
      xsi:type="bpmn:tFormalExpression">"P999999999D"</bpmn:timeDuration></bpmn:timerEventDefinition>
      </bpmn:intermediateCatchEvent>""" + OUT,
}
BOMBS = {'"a" * n': {"n": 10**9}, "max(rows)": {"rows": [[0] * 100_000] * 100_000},
         "str(rows)": {"rows": [[0] * 1000] * 10_000}, "n * n": {"n": int("9" * 4000)}}


def timed(action) -> float:
    started = time.perf_counter()
    with contextlib.suppress(EngineFailure, InvalidExpression):
        action()
    return time.perf_counter() - started


def median_ms(action, repeat: int) -> float:
    return statistics.median(timed(action) for _ in range(repeat)) * 1000


def peak_of_the_lifecycle() -> tuple[int, int]:
    """Most tasks created and steps run by one engine call while the lifecycle is started."""
    calls: list[limits.Meter] = []

    class Probe(limits.Meter):
        def __init__(self) -> None:
            super().__init__()
            calls.append(self)

    original, limits.Meter = limits.Meter, Probe
    try:
        model = engine.compile_model({"zone_lifecycle.bpmn": (ROOT / "bpmn" / "zone_lifecycle.bpmn").read_bytes()})
        model.start()
    finally:
        limits.Meter = original
    return max(c.tasks for c in calls), max(c.steps for c in calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"budget per engine call: {limits.BUDGET}")
    print("model                          refused at lint   stopped by the engine (lint skipped)")
    for name, body in MODELS.items():
        content = HEAD.format(body=body).encode()
        lint = median_ms(lambda content=content: engine.lint({"m.bpmn": content}), args.repeat)
        checks, limits.model_problems = limits.model_problems, lambda *a, **k: []
        try:
            model = engine.compile_model({"m.bpmn": content})
        finally:
            limits.model_problems = checks
        run = median_ms(model.start, args.repeat)
        print(f"{name:30} {lint:10.1f} ms   {run:10.1f} ms")
    for expression, data in BOMBS.items():
        spent = median_ms(lambda e=expression, d=data: expressions.evaluate(e, d), 1)
        print(f"expression {expression:19} {spent:28.1f} ms")
    tasks, steps = peak_of_the_lifecycle()
    print(f"starting the shipped lifecycle: at most {tasks} tasks and {steps} steps in one engine call")


if __name__ == "__main__":
    main()
