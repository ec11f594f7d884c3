"""What the product does with constructs it does not run as drawn: lint errors and warnings that say so.

An error is something that would not run at all (a wait nothing can end); a warning is something
that runs but not as Camunda would run it (a service task that calls nothing).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from workflow.modelxml import BPMN, CAMUNDA, Problem

_EXT = f"{{{BPMN}}}extensionElements"
_ELEMENT_WARNINGS = {
    "serviceTask": "service task: this product calls nothing (camunda:class, expression, delegateExpression, "
                   "type and topic are ignored); the task completes at once and changes no data",
    "sendTask": "send task: this product sends nothing outside the process; the task completes at once",
    "dataObjectReference": "data object: no form, condition or record of this product reads it; "
                           "use form fields (task data) instead",
}
_ELEMENT_ERRORS = {
    "dataStoreReference": "data store: this product connects to no data store, and the engine refuses one",
}
_EXTENSION_WARNINGS = {
    "inputOutput": "camunda:inputOutput is ignored: no input or output is mapped, the task data passes as it is",
    "executionListener": "camunda:executionListener is ignored: no listener is called",
    "taskListener": "camunda:taskListener is ignored: no listener is called",
    "connector": "camunda:connector is ignored: nothing is called",
}
_CATCHES = {"intermediateCatchEvent", "startEvent", "boundaryEvent", "receiveTask"}
_THROWS = {"intermediateThrowEvent", "endEvent", "sendTask"}


def _local(node: Any) -> str:
    return etree.QName(node).localname


def _problem(filename: str, node: Any, message: str, severity: str = "warning") -> Problem:
    return Problem(filename, node.get("id", ""), message, severity)


def support_problems(filename: str, root: Any) -> list[Problem]:
    """Every construct of the document the product ignores or cannot run, located by element."""
    problems = []
    for process in root.iterfind(f"{{{BPMN}}}process"):
        for node in process.iter(etree.Element):
            if etree.QName(node).namespace != BPMN or not node.get("id"):
                continue
            problems += _element(filename, node)
        problems += _undelivered(filename, process, "message", "messageRef")
        problems += _undelivered(filename, process, "signal", "signalRef")
    return problems


def _element(filename: str, node: Any) -> list[Problem]:
    kind, problems = _local(node), []
    if node.get("isForCompensation") == "true":
        return []  # never runs: its compensation boundary event says so once
    if kind in _ELEMENT_WARNINGS:
        problems.append(_problem(filename, node, _ELEMENT_WARNINGS[kind]))
    if kind in _ELEMENT_ERRORS:
        problems.append(_problem(filename, node, _ELEMENT_ERRORS[kind], "error"))
    for ext in node.iterfind(f"{_EXT}/{{{CAMUNDA}}}*"):
        if _local(ext) in _EXTENSION_WARNINGS:
            problems.append(_problem(filename, node, _EXTENSION_WARNINGS[_local(ext)]))
    if kind == "userTask" and (node.get(f"{{{CAMUNDA}}}formKey") or node.get(f"{{{CAMUNDA}}}formRef")):
        empty = "" if _has_form(node) else " (none here: an empty form)"
        problems.append(_problem(filename, node, "camunda:formKey / formRef is ignored: the task shows only its "
                                 f"camunda:formData fields{empty}"))
    if kind == "startEvent" and (_has_form(node) or node.get(f"{{{CAMUNDA}}}formKey")):
        problems.append(_problem(filename, node, "a start event's form is not shown: this product starts a process "
                                 "without one; put the fields on the first user task"))
    definitions = {_local(d) for d in node if isinstance(d.tag, str)}
    if "conditionalEventDefinition" in definitions:
        problems.append(_problem(filename, node, "conditional event: its condition is checked only when this path "
                                 "moves on or the timer worker passes, against this path's task data; "
                                 "prefer a gateway condition or a timer"))
    if "compensateEventDefinition" in definitions:
        problems.append(_problem(filename, node, "compensation is not run by this engine: no handler is ever "
                                 "called", "error"))
    if "linkEventDefinition" in definitions:
        problems.append(_problem(filename, node, "link events are not run by this engine: a link throw event ends "
                                 "its path; draw the sequence flow instead", "error"))
    return problems


def _has_form(node: Any) -> bool:
    return node.find(f"{_EXT}/{{{CAMUNDA}}}formData") is not None


def _ref(node: Any, kind: str, attr: str) -> str | None:
    """The message or signal a node throws or catches, or None when it has none."""
    if _local(node) in {"sendTask", "receiveTask"} and kind == "message":
        return node.get("messageRef", "")
    found = node.find(f"{{{BPMN}}}{kind}EventDefinition")
    return None if found is None else found.get(attr, "")


def _undelivered(filename: str, process: Any, kind: str, attr: str) -> list[Problem]:
    """Catch events and receive tasks waiting for a message or signal that nothing in the process sends."""
    nodes = [n for n in process.iter(etree.Element) if etree.QName(n).namespace == BPMN]
    thrown = {_ref(n, kind, attr) for n in nodes if _local(n) in _THROWS} - {None}
    problems = []
    for node in (n for n in nodes if _local(n) in _CATCHES):
        ref = _ref(node, kind, attr)
        if ref is None or ref in thrown:
            continue
        parent = node.getparent()
        optional = (_local(node) == "boundaryEvent" or parent.get("triggeredByEvent") == "true"
                    or parent.get("isForCompensation") == "true" or _after_event_gateway(node, nodes))
        what = f"waits for {kind} {ref or '(unnamed)'}, which nothing in this process sends, and this product " \
               f"delivers no {kind}s from outside"
        outcome = "this path never starts" if optional else "it would wait forever"
        problems.append(_problem(filename, node, f"{what}: {outcome}", "warning" if optional else "error"))
    return problems


def _after_event_gateway(node: Any, nodes: list[Any]) -> bool:
    """Whether an event-based gateway leads to this event (another of its events may still come)."""
    gateways = {n.get("id") for n in nodes if _local(n) == "eventBasedGateway"}
    return any(f.get("targetRef") == node.get("id") and f.get("sourceRef") in gateways
               for f in nodes if _local(f) == "sequenceFlow")
