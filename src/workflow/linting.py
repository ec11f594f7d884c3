"""`workflow lint`: each file checked with the files beside it, reported as text or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from workflow import engine, modelxml


@dataclass(frozen=True)
class Report:
    """The verdict on one file: ``ok`` unless a problem is an error (warnings do not refuse a model)."""

    file: str
    problems: tuple[modelxml.Problem, ...]

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def as_json(self) -> dict:
        return {"file": self.file, "ok": self.ok, "problems": [_located(self.file, p).as_json() for p in self.problems]}

    def lines(self) -> list[str]:
        out = [str(_located(self.file, p)) for p in self.problems]
        warnings = sum(p.severity == "warning" for p in self.problems)
        if self.ok:
            out.append(f"{self.file}: ok" + (f" ({warnings} warning{'s' * (warnings != 1)})" if warnings else ""))
        return out


def _located(file: str, problem: modelxml.Problem) -> modelxml.Problem:
    """A problem of a file linted alongside (a DMN table) names that file in its message."""
    if problem.file in {file, Path(file).name} or not problem.file:
        return modelxml.Problem(file, problem.element_id, problem.message, problem.severity)
    return modelxml.Problem(file, problem.element_id, f"in {problem.file}: {problem.message}", problem.severity)


def lint_paths(paths: Iterable[Path]) -> list[Report]:
    """Lint each file; a BPMN file with the DMN tables beside it that it uses, a DMN file on its own."""
    paths = list(paths)
    read = Path.read_bytes
    tables = {p.name: read(p) for f in paths for p in sorted(f.parent.glob("*.dmn"))}
    beside = {p for f in paths for p in f.parent.glob("*.bpmn")} | {p for p in paths if p.suffix == ".bpmn"}
    known = modelxml.process_ids(read(p) for p in sorted(beside))
    reports = []
    for path in paths:
        content = read(path)
        if path.suffix == ".dmn":
            found = engine.lint({str(path): content})
        else:
            found = engine.lint({str(path): content, **modelxml.decision_files(content, tables)}, known=known)
        reports.append(Report(str(path), tuple(found)))
    return reports


def as_json(reports: list[Report]) -> str:
    return json.dumps([r.as_json() for r in reports], ensure_ascii=False, indent=2)
