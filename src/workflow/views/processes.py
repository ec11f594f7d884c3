"""Process definitions: every deployed version with its diagram; process owners upload new ones."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from workflow.errors import InvalidModel, Msg
from workflow.services import deploy, timers
from workflow.views import login_required
from workflow.web import current_user, db_session, tr

bp = Blueprint("processes", __name__, url_prefix="/processes")


@bp.get("")
@login_required
def index():
    return render_template("processes.html", versions=deploy.versions(db_session()), problems=[])


@bp.post("")
@login_required
def upload():
    files = {f.filename: f.read() for f in request.files.getlist("files") if f.filename}
    try:
        results = deploy.upload(db_session(), current_user(), files)
    except InvalidModel as exc:
        db_session().rollback()
        return render_template("processes.html", versions=deploy.versions(db_session()),
                               problems=exc.problems), 400
    for version, created in results:
        message = "已部署 %(p)s 第 %(v)s 版" if created else "%(p)s 没有变化，仍为第 %(v)s 版"
        flash(tr(Msg(message, p=version.process_id, v=version.version)))
    return redirect(url_for("processes.index"))


@bp.get("/<int:version_id>")
@login_required
def show(version_id: int):
    return render_template("process.html", version=deploy.version(db_session(), version_id))


@bp.get("/<int:version_id>/diagram.bpmn")
@login_required
def diagram(version_id: int):
    return Response(deploy.version(db_session(), version_id).source, mimetype="application/xml")


@bp.get("/timers")
@login_required
def timers_failing():
    return render_template("timers.html", stuck=timers.stuck_for(db_session(), current_user()))
