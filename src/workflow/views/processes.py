"""Process definitions: every deployed version with its diagram; process owners upload new ones."""

from __future__ import annotations

import io

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for

from workflow import diagrams
from workflow.errors import InvalidModel, Msg
from workflow.services import deploy
from workflow.views import login_required
from workflow.web import current_user, db_session, lang, tr

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
    """The model as the page shows it (names in the page's language)."""
    return Response(diagrams.localized(deploy.version(db_session(), version_id).source, lang()),
                    mimetype="application/xml")


@bp.get("/<int:version_id>/source.bpmn")
@login_required
def source(version_id: int):
    """The deployed file exactly as uploaded, for process owners to edit."""
    version = deploy.source(db_session(), current_user(), version_id)
    return send_file(io.BytesIO(version.source.encode("utf-8")), mimetype="application/xml", as_attachment=True,
                     download_name=version.filename)
