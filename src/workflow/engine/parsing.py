"""Compiling models: parse BPMN (and DMN) files, check every rule and limit, and cache the result per version."""

from __future__ import annotations

import copy
import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.exceptions import SpiffWorkflowException

from workflow import decisions, flowrules, limits, modelxml, names, rules, support
from workflow.engine.run import Model
from workflow.errors import InvalidModel
from workflow.modelxml import Element, Flow, Problem, process_properties, read_elements, read_flows

# SpiffWorkflow's parser lets these escape on some valid-looking XML (e.g. a businessRuleTask
# without camunda:decisionRef raises KeyError); a linter reports them instead of crashing.
_PARSER_SLIPS = (KeyError, AttributeError, TypeError, ValueError, IndexError)
_DATA_STORE = re.compile(r"^Data Store with name .* has no implementation", re.DOTALL)


def _read(name: str, content: bytes, problems: list[Problem]):
    """The document's root, or None with the reason added to ``problems``."""
    try:
        return modelxml.parse(content)
    except modelxml.RefusedXML:
        problems.append(Problem(name, "", modelxml.DOCTYPE_REFUSED))
    except etree.XMLSyntaxError as exc:
        problems.append(Problem(name, "", f"not well-formed XML: {exc}"))
    return None


def _engine_problem(name: str, exc: Exception) -> Problem:
    """A SpiffWorkflow parser failure, located by the element it names."""
    element = getattr(exc, "id", "") or ""
    message = str(exc).strip()
    tag = getattr(exc, "tag", "")
    if element and element not in message:
        message = f"{message} (element {element}{', ' + tag if tag else ''})"
    return Problem(getattr(exc, "file_name", "") or name, element, f"the engine refuses this: {message}")


def _add_tables(parser, root, name: str) -> None:
    """Each decision of a DMN file on its own, so that ``camunda:decisionRef`` selects any of them.

    SpiffWorkflow reads only the first decision of a file (and refuses a file with several).
    """
    decisions = [d for d in root if isinstance(d.tag, str) and etree.QName(d).localname == "decision"]
    if len(decisions) <= 1:
        parser.add_dmn_xml(root, filename=name)
        return
    for keep in range(len(decisions)):
        single = copy.deepcopy(root)
        for index, decision in enumerate([d for d in single if d.tag == decisions[0].tag]):
            if index != keep:
                single.remove(decision)
        parser.add_dmn_xml(single, filename=name)


def _parse(files: Mapping[str, bytes], known: Collection[str] | None):
    problems: list[Problem] = []
    elements: dict[str, Element] = {}
    parser = CamundaParser()
    executable: list[str] = []
    flows: list[Flow] = []
    roots, tables = {}, {}
    for name, content in files.items():
        root = _read(name, content, problems)
        if root is None:
            continue
        if name.endswith(".dmn"):
            tables[name] = root
            problems.extend(decisions.table_problems(name, root))
            try:
                _add_tables(parser, root, name)
            except (ValidationException, SpiffWorkflowException) as exc:
                problems.append(_engine_problem(name, exc))
            except _PARSER_SLIPS as exc:
                problems.append(Problem(name, "", f"the engine cannot read this table: {type(exc).__name__}: {exc}"))
            continue
        roots[name] = root
        flows.extend(read_flows(root))
        found, ids, file_problems = read_elements(name, root)
        elements.update(found)
        executable.extend(ids)
        problems.extend(file_problems)
        problems.extend(flowrules.flow_problems(name, root))
        problems.extend(support.support_problems(name, root))
        problems.extend(p for element in found.values() for p in rules.element_problems(name, element))
        problems.extend(limits.model_problems(name, root, known))
        try:
            parser.add_bpmn_xml(root, filename=name)
        except (ValidationException, SpiffWorkflowException) as exc:
            if not _DATA_STORE.search(str(exc)):  # support.py reports each data store once, by id
                problems.extend(_unsaid([_engine_problem(name, exc)], problems))
            executable = [p for p in executable if p not in ids]
        except _PARSER_SLIPS as exc:
            if "decisionRef" not in str(exc):  # rules.py reports the missing camunda:decisionRef by id
                problems.append(Problem(name, "", f"the engine cannot read this file: {type(exc).__name__}: {exc}"))
            executable = [p for p in executable if p not in ids]
    problems.extend(names.unprovided(roots, tables))
    return parser, elements, executable, problems, roots, flows


def _unsaid(refusals: list[Problem], problems: list[Problem]) -> list[Problem]:
    """The engine's refusals not already said: of an element lint already named as one the engine cannot run."""
    said = {p.element_id for p in problems if p.element_id and ("by this engine" in p.message
                                                                or p.message.startswith("data store"))}
    return [r for r in refusals if r not in problems and r.element_id not in said]


def _specs(parser, process_id: str, files: Mapping[str, bytes]) -> tuple[tuple, list[Problem]]:
    """The engine's spec of a process and of what it calls, or the engine's problems with it."""
    try:
        return (parser.get_spec(process_id), parser.get_subprocess_specs(process_id)), []
    except (ValidationException, SpiffWorkflowException) as exc:
        return (), [_engine_problem(",".join(files), exc)]
    except _PARSER_SLIPS as exc:
        return (), [Problem(",".join(files), "", f"the engine cannot read this model: {type(exc).__name__}: {exc}")]


def _no_executable(files: Mapping[str, bytes]) -> Problem:
    return Problem(",".join(f for f in files if not f.endswith(".dmn")) or ",".join(files), "",
                   "no executable process (isExecutable=\"true\"): the engine runs none of this file")


def compile_model(files: Mapping[str, bytes], process_id: str | None = None, *,
                  known: Collection[str] | None = None, label: str = "", deployed: bool = False) -> Model:
    """Parse and check a model; raise :class:`InvalidModel` listing every problem when any is an error.

    ``known`` are the process ids an end event's ``starts`` may name (not checked when None);
    ``label`` names the model in failures (e.g. "zone_lifecycle v3"). A ``deployed`` version passed the
    rules of its day: rules added since do not stop its zones (the engine's budget still holds), only
    XML it cannot read (a DOCTYPE) or the engine's refusal does.
    """
    parser, elements, executable, problems, roots, flows = _parse(files, known)
    unread = [p for p in problems if p.file in files and p.file not in roots and not p.file.endswith(".dmn")]
    if (unread if deployed else any(p.severity == "error" for p in problems)):
        raise InvalidModel(unread if deployed else problems)
    if process_id is None:
        if not executable:
            raise InvalidModel([_no_executable(files)])
        process_id = executable[0]
    specs, engine_problems = _specs(parser, process_id, files)
    if engine_problems:
        raise InvalidModel(engine_problems)
    properties = next((p for p in (process_properties(r, process_id) for r in roots.values()) if p), {})
    warnings = [p for p in problems if p.severity == "warning"]
    return Model(process_id, elements, specs[0], specs[1], properties, label, flows, warnings)


def lint(files: Mapping[str, bytes], known: Collection[str] | None = None) -> list[Problem]:
    """Every problem in the files, rule and engine problems in one round, without raising."""
    parser, _, executable, problems, roots, _ = _parse(files, known)
    declared = [p for root in roots.values() for p in root.iterfind(f"{{{modelxml.BPMN}}}process")
                if p.get("isExecutable") == "true"]
    if roots and not declared:
        problems.append(_no_executable(files))
    for process_id in executable:
        problems.extend(_unsaid(_specs(parser, process_id, files)[1], problems))
    return problems


class ModelCache:
    """Parsed models by content hash, so each deployed version is parsed once per process."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._models: OrderedDict[str, Model] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, load) -> Model:
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        model = load()
        with self._lock:
            self._models[key] = model
            while len(self._models) > self._size:
                self._models.popitem(last=False)
        return model
