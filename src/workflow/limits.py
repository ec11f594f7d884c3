"""What one model may cost: the limits lint and deploy check in the XML, and the engine enforces as it runs.

A process owner's upload must not be able to stop the programme. What the XML shows is refused
before deployment, with a message naming the element: multi-instance counts and loop maxima
above the caps, loops of gateways and engine tasks that never wait for a person or a timer,
timers and periods that overflow the calendar, ``starts`` properties that repeat or name an
unknown process. What depends on task data is checked while the engine runs, against
:data:`BUDGET` (see ``engine``).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from lxml import etree

from workflow import expressions
from workflow.modelxml import BPMN, NS, Problem
from workflow.timeparse import cycle_problem, duration_problem, instant_problem

MAX_INSTANCES = 100   # children of one multi-instance activity
MAX_LOOPS = 100       # iterations of a standard loop (loopMaximum)
MAX_STARTS = 5        # processes one end event may start (property starts)
MAX_CHAIN = 5         # processes started one from another in one step
MAX_STARTED = 20      # processes started in one step altogether


@dataclass(frozen=True)
class Budget:
    """What one engine call (start a process, complete a task, fire timers) may spend."""

    tasks: int = 1000       # engine tasks created
    steps: int = 1000       # gateways, events and rule tasks run by the engine
    seconds: float = 5.0    # wall time


BUDGET = Budget()

# Elements at which the engine stops and waits (for a person, a message, a timer, or what runs inside).
_WAITS = {"userTask", "manualTask", "task", "receiveTask", "intermediateCatchEvent", "eventBasedGateway",
          "subProcess", "callActivity", "transaction", "adHocSubProcess"}
_HUMAN = {"userTask", "manualTask", "task"}
_TIMERS = {"timeDuration": duration_problem, "timeDate": instant_problem, "timeCycle": cycle_problem}


def model_problems(filename: str, root: Any, known: Collection[str] | None = None) -> list[Problem]:
    """Every limit a BPMN document breaks; ``known`` (when given) are the process ids ``starts`` may name."""
    problems: list[Problem] = []
    if known is not None:
        known = {*known, *(p.get("id", "") for p in root.iterfind(f"{{{BPMN}}}process"))}
    for process in root.iterfind(f"{{{BPMN}}}process"):
        problems += _period(filename, process)
        problems += _timers(filename, process)
        problems += _multi_instances(filename, process)
        problems += _standard_loops(filename, process)
        problems += _busy_loops(filename, process)
        problems += _starts(filename, process, known)
    return problems


def _local(node: Any) -> str:
    return etree.QName(node).localname


def _property(node: Any, name: str) -> str | None:
    for prop in node.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS):
        if prop.get("name") == name:
            return prop.get("value", "")
    return None


def _period(filename: str, process: Any) -> list[Problem]:
    period = _property(process, "period")
    problem = duration_problem(period, positive=True) if period is not None else None
    return [Problem(filename, process.get("id", ""), f"process property period: {problem}")] if problem else []


def _constant(text: str | None) -> tuple[bool, Any]:
    try:
        return expressions.constant(text or "")
    except Exception:  # the allow-list check reports a bad expression on its own
        return False, None


def _timers(filename: str, process: Any) -> list[Problem]:
    problems = []
    for kind, judge in _TIMERS.items():
        for node in process.iter(f"{{{BPMN}}}{kind}"):
            known, value = _constant(node.text)
            if not known:
                continue
            problem = judge(value) if isinstance(value, str) else f"gives {type(value).__name__}, not text"
            if problem:
                event = node.getparent().getparent()
                problems.append(Problem(filename, event.get("id", ""), f"timer {kind}: {problem}"))
    return problems


def instances_problem(value: Any) -> str | None:
    """Why a multi-instance cardinality (a count or a collection) is not allowed, or None."""
    if isinstance(value, bool) or not isinstance(value, int | list | tuple | dict):
        return f"the cardinality must be a whole number or a collection, not {type(value).__name__}"
    count = value if isinstance(value, int) else len(value)
    if not 0 <= count <= MAX_INSTANCES:
        return f"a multi-instance activity runs 0 to {MAX_INSTANCES} instances, not {count:,}"
    return None


def _multi_instances(filename: str, process: Any) -> list[Problem]:
    problems = []
    for node in process.iter(f"{{{BPMN}}}loopCardinality"):
        known, value = _constant(node.text)
        problem = instances_problem(value) if known else None
        if problem:
            problems.append(Problem(filename, node.getparent().getparent().get("id", ""), problem))
    return problems


def _standard_loops(filename: str, process: Any) -> list[Problem]:
    problems = []
    for node in process.iter(f"{{{BPMN}}}standardLoopCharacteristics"):
        activity = node.getparent()
        maximum = node.get("loopMaximum")
        if maximum is None:
            if _local(activity) not in _HUMAN:
                problems.append(Problem(filename, activity.get("id", ""), "a loop on an activity that waits for "
                                        f"nobody needs loopMaximum (at most {MAX_LOOPS})"))
        elif not _whole(maximum, 1, MAX_LOOPS):
            problems.append(Problem(filename, activity.get("id", ""),
                                    f"loopMaximum must be a whole number from 1 to {MAX_LOOPS}, got {maximum[:20]!r}"))
    return problems


def _whole(text: str, low: int, high: int) -> bool:
    text = text.strip()
    return text.isascii() and text.isdigit() and len(text) <= 9 and low <= int(text) <= high


def _busy_loops(filename: str, process: Any) -> list[Problem]:
    """Cycles of sequence flows that pass no wait state: the engine would go round them in one step."""
    kinds = {n.get("id"): _local(n) for n in process.iter(etree.Element) if n.get("id")}
    edges: dict[str, list[str]] = {}
    for flow in process.iter(f"{{{BPMN}}}sequenceFlow"):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if kinds.get(source) not in _WAITS and kinds.get(target) not in _WAITS and source and target:
            edges.setdefault(source, []).append(target)
    cycle = _find_cycle(edges)
    if not cycle:
        return []
    path = " → ".join([*cycle, cycle[0]])
    return [Problem(filename, cycle[0], f"the loop {path} passes no user task, timer or message: "
                                        "the engine would go round it without end")]


def _find_cycle(edges: dict[str, list[str]]) -> list[str]:
    """One cycle of the graph (its nodes in order), or [] when it has none; iterative, for big diagrams."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(edges):
        if root in state:
            continue
        path, stack = [root], [iter(edges.get(root, ()))]
        state[root] = 1
        while stack:
            target = next(stack[-1], None)
            if target is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(target) == 1:
                return path[path.index(target):]
            elif target not in state:
                state[target] = 1
                path.append(target)
                stack.append(iter(edges.get(target, ())))
    return []


def starts_of(node: Any) -> list[str]:
    value = _property(node, "starts")
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _starts(filename: str, process: Any, known: Collection[str] | None) -> list[Problem]:
    problems = []
    for node in process.iter(f"{{{BPMN}}}endEvent"):
        names = starts_of(node)

        def bad(message: str, node: Any = node) -> None:
            problems.append(Problem(filename, node.get("id", ""), f"property starts: {message}"))

        if len(set(names)) != len(names):
            bad("names a process more than once")
        if len(names) > MAX_STARTS:
            bad(f"names {len(names)} processes; at most {MAX_STARTS}")
        unknown = sorted({n for n in names if known is not None and n not in known})
        if unknown:
            bad(f"names {', '.join(unknown)[:200]}, which is neither deployed nor in this upload")
    return problems


class LimitReached(Exception):
    """A running model reached a limit of its budget; ``element_id`` names where."""

    def __init__(self, message: str, element_id: str = "") -> None:
        super().__init__(message)
        self.element_id = element_id


class Meter:
    """What one engine call has spent so far, against :data:`BUDGET` as it is when the call begins."""

    def __init__(self) -> None:
        self.budget = BUDGET
        self.tasks = 0
        self.steps = 0
        self.last = ""  # the element of the latest step, for failures raised where no element is at hand
        self.deadline = time.monotonic() + self.budget.seconds

    def task_created(self, element_id: str) -> None:
        element_id = element_id or self.last
        self.tasks += 1
        if self.tasks > self.budget.tasks:
            raise LimitReached(f"created more than {self.budget.tasks} engine tasks in one step "
                               "(a loop or a multi-instance without end?)", element_id)
        self._in_time(element_id)

    def step_done(self, element_id: str) -> None:
        self.last = element_id or self.last
        self.steps += 1
        if self.steps > self.budget.steps:
            raise LimitReached(f"ran more than {self.budget.steps} engine steps in one step "
                               "(a loop that waits for nobody?)", element_id)
        self._in_time(element_id)

    def _in_time(self, element_id: str) -> None:
        if time.monotonic() > self.deadline:
            raise LimitReached(f"ran for more than {self.budget.seconds:g} s in one step", element_id)
