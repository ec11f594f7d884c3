"""Deploying BPMN models (with the DMN tables they use): lint, store once per content, parse once per version."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from workflow import engine, modelxml, store
from workflow.errors import Conflict, EngineFailure, InvalidModel, Msg, NotFound, PermissionDenied
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
    from workflow.services import startable  # it starts deployed versions: imports this module

    problems.extend(engine.Problem(filename, model.process_id, p) for p in startable.problems(model))
    needed = _FIRST_TASK_FIELDS.get(model.process_id)
    return problems + _first_task_problems(filename, model, needed) if needed else problems


def _first_task_problems(filename: str, model: engine.Model, needed: set[str]) -> list[engine.Problem]:
    """A process begun from a form must lead, in the diagram and in a run (within the budget), to that form."""
    first = model.first_task()
    wanted = (f"the process must begin with one user task, reached from its start event through gateways that "
              f"do not branch, whose form has the fields {', '.join(sorted(needed))}")
    if first is None or not needed <= {f.id for f in first.form}:
        return [engine.Problem(filename, first.id if first else "", wanted)]
    try:
        ready = model.start().ready_tasks()
    except EngineFailure as exc:
        return [engine.Problem(filename, exc.element_id, f"the process does not start: {exc}")]
    if [t.element.id for t in ready] != [first.id]:
        return [engine.Problem(filename, first.id, wanted)]
    return []


def model_for(version: ProcessVersion) -> engine.Model:
    """The parsed model of a deployed version (parsed once per process, then cached)."""
    label = f"{version.process_id} v{version.version}"
    return _MODELS.get(version.content_hash,
                       lambda: engine.compile_model(_files(version), version.process_id, label=label,
                                                    deployed=True))


def _files(version: ProcessVersion) -> dict[str, bytes]:
    return {version.filename: version.source.encode(), **{k: v.encode() for k, v in version.decisions.items()}}


def warnings(version: ProcessVersion) -> list[engine.Problem]:
    """What lint says of a deployed version that does not stop it (a service task that calls nothing, …)."""
    return model_for(version).warnings


def versions(session: Session) -> list[ProcessVersion]:
    """Every deployed version, oldest first."""
    return list(store.versions(session))


def current(session: Session, process_id: str) -> tuple[ProcessVersion, engine.Model]:
    version = store.latest_version(session, process_id)
    if version is None:
        raise NotFound(Msg("流程 %(p)s 尚未部署", p=process_id))
    return version, model_for(version)


def _stage(session: Session, filename: str, content: bytes, tables: Mapping[str, bytes],
           user: User | None, alongside: Collection[str] = (), comment: str = "") -> tuple[ProcessVersion, bool]:
    if len(content) > MAX_MODEL_BYTES:
        raise InvalidModel([engine.Problem(filename, "", f"larger than {MAX_MODEL_BYTES} bytes")])
    used = modelxml.decision_files(content, tables)
    known = {*store.process_ids(session), *alongside}
    model = engine.compile_model({filename: content, **used}, known=known)
    broken = contract_problems(filename, model)
    if broken:
        raise InvalidModel(broken)
    digest = hashlib.sha256(content + b"".join(name.encode() + used[name] for name in sorted(used))).hexdigest()
    latest = store.latest_version(session, model.process_id)
    if latest is not None and latest.content_hash == digest:
        return latest, False
    return _add_version(session, model.process_id, (model.name, model.name_en), filename, content.decode("utf-8"),
                        {k: v.decode("utf-8") for k, v in used.items()}, digest, user, comment), True


def _add_version(session: Session, process_id: str, name: tuple[str, str], filename: str, source: str,
                 decisions: dict[str, str], digest: str, user: User | None, comment: str = "") -> ProcessVersion:
    """A new current version; content equal to an older version's makes that content current again."""
    earlier = store.version_by_hash(session, process_id, digest)
    version = ProcessVersion(
        process_id=process_id, version=store.next_version_number(session, process_id), name=name[0],
        name_en=name[1], filename=filename, content_hash=digest, source=source, decisions=decisions,
        deployed_by_id=user.id if user else None, comment=comment,
    )
    session.add(version)
    session.flush()
    again = f", same content as v{earlier.version}" if earlier is not None else ""
    store.add_event(session, Event(
        kind="deployed", actor=user.username if user else "system", actor_id=user.id if user else None,
        role=user.role_label if user else "", organisation=user.organisation.name if user else "",
        comment=f"{process_id} v{version.version} ({filename}{again})",
        data={"process_id": process_id, "version": version.version, "hash": digest,
              "same_as": earlier.version if earlier is not None else None},
    ))
    return version


def make_current(session: Session, user: User, version_id: int) -> tuple[ProcessVersion, ProcessVersion]:
    """Roll back to an earlier version: its content becomes the newest version (new zones start on it)."""
    _ensure_owner(user)
    chosen = version(session, version_id)
    latest = store.latest_version(session, chosen.process_id)
    if latest is not None and latest.content_hash == chosen.content_hash:
        raise Conflict(Msg("%(p)s 第 %(v)s 版的内容已是当前版本", p=chosen.process_id, v=chosen.version))
    created = _add_version(session, chosen.process_id, (chosen.name, chosen.name_en), chosen.filename, chosen.source,
                           dict(chosen.decisions), chosen.content_hash, user)
    commit(session)
    return chosen, created


def current_ids(versions: list[ProcessVersion]) -> set[int]:
    """The newest version of each process (the one new cases start on)."""
    newest: dict[str, ProcessVersion] = {}
    for v in versions:
        if v.process_id not in newest or v.version > newest[v.process_id].version:
            newest[v.process_id] = v
    return {v.id for v in newest.values()}


def deploy(session: Session, filename: str, content: bytes, tables: Mapping[str, bytes] | None = None,
           user: User | None = None, alongside: Collection[str] = ()) -> tuple[ProcessVersion, bool]:
    """Deploy one BPMN file with the DMN tables it refers to; an unchanged deployment returns its version.

    ``alongside`` are process ids deployed in the same go, which its ``starts`` properties may name.
    """
    version, created = _stage(session, filename, content, tables or {}, user, alongside)
    commit(session)
    return version, created


def _ensure_owner(user: User) -> None:
    """Changing what runs is the process owner's: an administrator without that role may not."""
    if not user.has(Role.PROCESS_OWNER):
        raise PermissionDenied(Msg("只有流程管理员可以部署流程"))


MAX_COMMENT = 2000


def upload(session: Session, user: User, files: Mapping[str, bytes],
           comment: str = "") -> list[tuple[ProcessVersion, bool]]:
    """A process owner's upload: .bpmn files, with the .dmn tables they use; all deploy or none does."""
    _ensure_owner(user)
    problems = []
    if len(comment) > MAX_COMMENT:
        problems.append(engine.Problem("", "", f"the comment is longer than {MAX_COMMENT} characters"))
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
    alongside = modelxml.process_ids(models.values())
    results = [_stage(session, name, content, tables, user, alongside, comment)
               for name, content in sorted(models.items())]
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
    models = {path.name: path.read_bytes() for path in sorted(directory.glob("*.bpmn"))}
    alongside = modelxml.process_ids(models.values())
    return [_stage(session, name, content, tables, user, alongside) for name, content in models.items()]
