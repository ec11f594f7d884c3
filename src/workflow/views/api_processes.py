"""The JSON API for process owners (/api/v1): deploy, read and compare model versions, move running instances."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request

from workflow import store
from workflow.errors import InvalidForm, InvalidModel, Msg
from workflow.services import deploy, migrations, versions
from workflow.views import representations as rep
from workflow.views.api import bp, json_body
from workflow.web import db_session, lang, model_xml, tr


@bp.get("/process-definitions")
def process_definitions():
    rows = versions.listing(db_session())
    return jsonify(items=[rep.version(r.version, lang(), r.running, r.current) for r in rows], total=len(rows))


@bp.post("/process-definitions")
def process_deploy():
    """Multipart upload (field ``file``, several allowed; ``comment``): 201, or 400 listing every problem."""
    files = {f.filename: f.read() for f in request.files.getlist("file") if f.filename}
    try:
        results = deploy.upload(db_session(), g.user, files, request.form.get("comment", "").strip())
    except InvalidModel as exc:
        db_session().rollback()
        problems = [{"file": p.file, "element": p.element_id, "message": p.message} for p in exc.problems]
        return jsonify(error="invalid_model", message=tr(Msg("模型有问题，未部署")), fields={}, problems=problems), 400
    return jsonify(items=[{**rep.version(v, lang()), "created": created, "warnings": [
        {"file": p.file, "element": p.element_id, "message": p.message} for p in deploy.warnings(v)]}
        for v, created in results]), 201


@bp.get("/process-definitions/<int:version_id>/source.bpmn")
def process_source(version_id: int):
    version = deploy.source(db_session(), g.user, version_id)
    return model_xml(version.source, version.filename.removesuffix(".bpmn"))


@bp.get("/process-definitions/<int:old_id>/diff/<int:new_id>")
def process_diff(old_id: int, new_id: int):
    return jsonify(rep.diff(versions.compare(db_session(), old_id, new_id), lang()))


@bp.post("/migrations")
def migrate():
    """Move running instances to another version: ``dry_run`` reports only; one of ``instances``/``from_version``."""
    data = json_body("target_version", "instances", "from_version", "dry_run")
    target, chosen, source, dry = _migration_request(data)
    run = migrations.plan if dry else migrations.migrate
    found, verdicts = run(db_session(), g.user, target, chosen, source)
    return jsonify(target=rep.version(found, lang()), dry_run=dry, items=[rep.verdict(v) for v in verdicts])


def _migration_request(data: dict[str, Any]) -> tuple[int, list[int], int | None, bool]:
    errors = {}
    target, source, chosen = data.get("target_version"), data.get("from_version"), data.get("instances", [])
    if not _is_id(target):
        errors["target_version"] = Msg("必填项，应为版本编号")
    if source is not None and not _is_id(source):
        errors["from_version"] = Msg("应为版本编号")
    if not isinstance(chosen, list) or not all(_is_id(i) for i in chosen) or len(chosen) > migrations.MAX_BATCH:
        errors["instances"] = Msg("应为流程实例编号的列表")
    if not isinstance(data.get("dry_run", False), bool):
        errors["dry_run"] = Msg("应为 true 或 false")
    if errors:
        raise InvalidForm(Msg("请求有误"), errors)
    return target, chosen, source, data.get("dry_run", False)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= store.MAX_ID


@bp.post("/instances/<int:instance_id>/rollback")
def migration_rollback(instance_id: int):
    record = migrations.rollback(db_session(), g.user, instance_id)
    return jsonify(instance=instance_id, process_version=f"{record.from_version.process_id}:"
                                                        f"{record.from_version.version}")
