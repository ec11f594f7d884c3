"""Compiling models: parse BPMN (and DMN) files, check every rule and limit, and cache the result per version."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.exceptions import SpiffWorkflowException

from workflow import limits, rules
from workflow.engine.run import Model
from workflow.errors import InvalidModel
from workflow.modelxml import Element, Flow, Problem, process_properties, read_elements, read_flows

# SpiffWorkflow's parser lets these escape on some valid-looking XML (e.g. a businessRuleTask
# without camunda:decisionRef raises KeyError); a linter reports them instead of crashing.
_PARSER_SLIPS = (KeyError, AttributeError, TypeError, ValueError, IndexError)


def _parse(files: Mapping[str, bytes], known: Collection[str] | None):
    problems: list[Problem] = []
    elements: dict[str, Element] = {}
    parser = CamundaParser()
    executable: list[str] = []
    flows: list[Flow] = []
    roots = {}
    for name, content in files.items():
        try:
            root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            problems.append(Problem(name, "", f"not well-formed XML: {exc}"))
            continue
        if name.endswith(".dmn"):
            try:
                parser.add_dmn_xml(root, filename=name)
            except (ValidationException, SpiffWorkflowException) as exc:
                problems.append(Problem(name, getattr(exc, "id", ""), str(exc)))
            continue
        roots[name] = root
        flows.extend(read_flows(root))
        found, ids, file_problems = read_elements(name, root)
        elements.update(found)
        executable.extend(ids)
        problems.extend(file_problems)
        problems.extend(p for element in found.values() for p in rules.element_problems(name, element))
        problems.extend(limits.model_problems(name, root, known))
        try:
            parser.add_bpmn_xml(root, filename=name)
        except (ValidationException, SpiffWorkflowException) as exc:
            problems.append(Problem(name, getattr(exc, "id", ""), str(exc)))
        except _PARSER_SLIPS as exc:
            problems.append(Problem(name, "", f"the engine cannot read this file: {type(exc).__name__}: {exc}"))
    return parser, elements, executable, problems, roots, flows


def compile_model(files: Mapping[str, bytes], process_id: str | None = None, *,
                  known: Collection[str] | None = None, label: str = "") -> Model:
    """Parse and check a model; raise :class:`InvalidModel` listing every problem.

    ``known`` are the process ids an end event's ``starts`` may name (not checked when None);
    ``label`` names the model in failures (e.g. "zone_lifecycle v3").
    """
    parser, elements, executable, problems, roots, flows = _parse(files, known)
    if problems:
        raise InvalidModel(problems)
    if process_id is None:
        if not executable:
            raise InvalidModel([Problem(",".join(files), "", "no executable process (isExecutable=\"true\")")])
        process_id = executable[0]
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except (ValidationException, SpiffWorkflowException) as exc:
        raise InvalidModel([Problem(getattr(exc, "file_name", "") or ",".join(files),
                                    getattr(exc, "id", ""), str(exc))]) from None
    except _PARSER_SLIPS as exc:
        raise InvalidModel([Problem(",".join(files), "", f"the engine cannot read this model: "
                                    f"{type(exc).__name__}: {exc}")]) from None
    properties = next((p for p in (process_properties(r, process_id) for r in roots.values()) if p), {})
    return Model(process_id, elements, spec, subprocess_specs, properties, label, flows)


def lint(files: Mapping[str, bytes], known: Collection[str] | None = None) -> list[Problem]:
    """Every problem in the files, without raising."""
    try:
        compile_model(files, known=known)
    except InvalidModel as exc:
        return list(exc.problems)
    return []


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
