"""Deploying BPMN models (with the DMN tables they use): lint, store once per content, parse once per version."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from workflow import engine, modelxml, store
from workflow.errors import EngineFailure, InvalidModel, Msg, NotFound, PermissionDenied
from workflow.models import Event, ProcessVersion, User
from workflow.roles import Role
from workflow.services import commit

_MODELS = engine.ModelCache()
MAX_MODEL_BYTES = 2 * 1024 * 1024


# What the application relies on in a process it knows (README: "Names the application relies on").
_FIRST_TASK_FIELDS = {"zone_lifecycle": {"zone_name", "province"}, "innovation_measure": {"title", "kind"},
                      "replication": {"title"}}


def contract_problems(filename: str, model: engine.Model) -> list[engine.Problem]:
    """Problems that would not stop the engine but would stop the application (checked at deploy)."""
    problems = []
    for element in model.elements.values():
        for field in element.form:
            if field.id == "decision" and field.type != "enum":
                problems.append(engine.Problem(filename, element.id, "a field named decision must be an enum"))
    needed = _FIRST_TASK_FIELDS.get(model.process_id)
    if needed:
        try:
            ready = model.start().ready_tasks()
        except EngineFailure as exc:
            return [*problems, engine.Problem(filename, "", f"the process does not start: {exc}")]
        fields = {f.id for f in ready[0].element.form} if len(ready) == 1 else set()
        if len(ready) != 1 or not needed <= fields:
            problems.append(engine.Problem(filename, ready[0].element.id if ready else "",
                                           f"the process must begin with one user task whose form has the fields "
                                           f"{', '.join(sorted(needed))}"))
    return problems


def model_for(version: ProcessVersion) -> engine.Model:
    """The parsed model of a deployed version (parsed once per process, then cached)."""
    return _MODELS.get(version.content_hash, lambda: engine.compile_model(_files(version), version.process_id))


def _files(version: ProcessVersion) -> dict[str, bytes]:
    return {version.filename: version.source.encode(), **{k: v.encode() for k, v in version.decisions.items()}}


def versions(session: Session) -> list[ProcessVersion]:
    """Every deployed version, oldest first."""
    return list(store.versions(session))


def current(session: Session, process_id: str) -> tuple[ProcessVersion, engine.Model]:
    version = store.latest_version(session, process_id)
    if version is None:
        raise NotFound(Msg("流程 %(p)s 尚未部署", p=process_id))
    return version, model_for(version)


def _stage(session: Session, filename: str, content: bytes, tables: Mapping[str, bytes],
           user: User | None) -> tuple[ProcessVersion, bool]:
    if len(content) > MAX_MODEL_BYTES:
        raise InvalidModel([engine.Problem(filename, "", f"larger than {MAX_MODEL_BYTES} bytes")])
    used = modelxml.decision_files(content, tables)
    model = engine.compile_model({filename: content, **used})
    broken = contract_problems(filename, model)
    if broken:
        raise InvalidModel(broken)
    digest = hashlib.sha256(content + b"".join(name.encode() + used[name] for name in sorted(used))).hexdigest()
    existing = store.version_by_hash(session, model.process_id, digest)
    if existing is not None:
        return existing, False
    version = ProcessVersion(
        process_id=model.process_id, version=store.next_version_number(session, model.process_id),
        name=model.name, name_en=model.name_en, filename=filename, content_hash=digest, source=content.decode("utf-8"),
        decisions={k: v.decode("utf-8") for k, v in used.items()}, deployed_by_id=user.id if user else None,
    )
    session.add(version)
    session.flush()
    store.add_event(session, Event(
        kind="deployed", actor=user.username if user else "system", actor_id=user.id if user else None,
        role=user.role_label if user else "", organisation=user.organisation.name if user else "",
        comment=f"{model.process_id} v{version.version} ({filename})",
        data={"process_id": model.process_id, "version": version.version, "hash": digest},
    ))
    return version, True


def deploy(session: Session, filename: str, content: bytes, tables: Mapping[str, bytes] | None = None,
           user: User | None = None) -> tuple[ProcessVersion, bool]:
    """Deploy one BPMN file with the DMN tables it refers to; an unchanged deployment returns its version."""
    version, created = _stage(session, filename, content, tables or {}, user)
    commit(session)
    return version, created


def upload(session: Session, user: User, files: Mapping[str, bytes]) -> list[tuple[ProcessVersion, bool]]:
    """A process owner's upload: .bpmn files, with the .dmn tables they use; all deploy or none does."""
    if not user.has(Role.PROCESS_OWNER, Role.ADMIN):
        raise PermissionDenied(Msg("只有流程管理员可以部署流程"))
    problems = []
    for name, content in files.items():
        if not name.endswith((".bpmn", ".dmn")):
            problems.append(engine.Problem(name, "", "only .bpmn and .dmn files can be deployed"))
        elif len(content) > MAX_MODEL_BYTES:
            problems.append(engine.Problem(name, "", f"larger than {MAX_MODEL_BYTES} bytes"))
    models = {n: c for n, c in files.items() if n.endswith(".bpmn")}
    if not models and not problems:
        problems.append(engine.Problem("", "", "no .bpmn file was uploaded"))
    if problems:
        raise InvalidModel(problems)
    tables = {n: c for n, c in files.items() if n.endswith(".dmn")}
    results = [_stage(session, name, content, tables, user) for name, content in sorted(models.items())]
    commit(session)
    return results


def version(session: Session, version_id: int) -> ProcessVersion:
    found = session.get(ProcessVersion, version_id) if 0 < version_id <= store.MAX_ID else None
    if found is None:
        raise NotFound(Msg("没有这个流程版本"))
    return found


def source(session: Session, user: User, version_id: int) -> ProcessVersion:
    """A deployed version whose file a process owner may download."""
    if not user.has(Role.PROCESS_OWNER, Role.ADMIN):
        raise PermissionDenied(Msg("只有流程管理员可以下载模型文件"))
    return version(session, version_id)


def stage_directory(session: Session, directory: Path, user: User | None = None) -> list[tuple[ProcessVersion, bool]]:
    """Stage every ``.bpmn`` file of a directory, each with the ``.dmn`` tables it uses (no commit)."""
    tables = {path.name: path.read_bytes() for path in sorted(directory.glob("*.dmn"))}
    return [_stage(session, path.name, path.read_bytes(), tables, user) for path in sorted(directory.glob("*.bpmn"))]
