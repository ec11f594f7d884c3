"""Process definitions: every deployed version with its diagram; process owners upload new ones."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from workflow import diagrams
from workflow.errors import InvalidForm, InvalidModel, Msg
from workflow.services import deploy, failures, timers, versions
from workflow.views import login_required, query_id
from workflow.web import current_user, db_session, lang, model_xml, tr

bp = Blueprint("processes", __name__, url_prefix="/processes")


def _page(problems=()) -> str:
    return render_template("processes.html", rows=versions.listing(db_session()), problems=problems,
                           failures=failures.recent(db_session(), current_user()))


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("")
@login_required
def upload():
    files = {f.filename: f.read() for f in request.files.getlist("files") if f.filename}
    try:
        results = deploy.upload(db_session(), current_user(), files, request.form.get("comment", "").strip())
    except InvalidModel as exc:
        db_session().rollback()
        return _page(exc.problems), 400
    for version, created in results:
        message = "已部署 %(p)s 第 %(v)s 版" if created else "%(p)s 没有变化，仍为第 %(v)s 版"
        flash(tr(Msg(message, p=version.process_id, v=version.version)))
        for warning in deploy.warnings(version):
            flash(tr(Msg("部署提示 %(problem)s", problem=str(warning))))
    return redirect(url_for("processes.index"))


@bp.get("/<int:version_id>")
@login_required
def show(version_id: int):
    return render_template("process.html", version=deploy.version(db_session(), version_id))


@bp.get("/<int:version_id>/diagram.bpmn")
@login_required
def diagram(version_id: int):
    """The model as the page shows it (names in the page's language)."""
    version = deploy.version(db_session(), version_id)
    return model_xml(diagrams.localized(version.source, lang()), f"{version.process_id}-v{version.version}")


@bp.get("/<int:version_id>/source.bpmn")
@login_required
def source(version_id: int):
    """The deployed file exactly as uploaded, for process owners to edit."""
    version = deploy.source(db_session(), current_user(), version_id)
    return model_xml(version.source, version.filename.removesuffix(".bpmn"))


@bp.post("/<int:version_id>/current")
@login_required
def make_current(version_id: int):
    chosen, created = deploy.make_current(db_session(), current_user(), version_id)
    flash(tr(Msg("已将 %(p)s 第 %(v)s 版的内容设为当前版本（新版本号 %(n)s）", p=created.process_id,
                 v=chosen.version, n=created.version)))
    return redirect(url_for("processes.index"))


@bp.get("/compare")
@login_required
def compare():
    """Two versions of one process: what changed, listed and marked on both diagrams side by side."""
    old, new = query_id("old"), query_id("new")
    if old is None or new is None:
        raise InvalidForm(Msg("查询参数有误"), {k: Msg("必填项") for k, v in (("old", old), ("new", new)) if v is None})
    return render_template("process_diff.html", comparison=versions.compare(db_session(), old, new))


@bp.get("/timers")
@login_required
def timers_failing():
    return render_template("timers.html", stuck=timers.stuck_for(db_session(), current_user()))
