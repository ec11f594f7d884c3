"""A zone's files and comments on its page: adding a file or a comment, downloading a file."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from workflow.errors import InvalidForm, Msg
from workflow.services import documents
from workflow.views import login_required, upload
from workflow.web import attachment_limit, attachment_response, current_user, db_session, tr

bp = Blueprint("documents", __name__)


@bp.post("/zones/<int:zone_id>/attachments")
@login_required
def upload_file(zone_id: int):
    sent = upload(request.files, "file")
    if sent is None:
        raise InvalidForm(Msg("请选择要上传的文件"), {"file": Msg("必填项")})
    item = documents.attach(db_session(), current_user(), zone_id, sent, attachment_limit())
    flash(tr(Msg("已添加附件：%(name)s", name=item.filename)))
    return redirect(url_for("zones.show", zone_id=zone_id) + "#documents-h")


@bp.get("/zones/<int:zone_id>/attachments/<int:attachment_id>")
@login_required
def download(zone_id: int, attachment_id: int):
    item, content = documents.download(db_session(), current_user(), zone_id, attachment_id)
    return attachment_response(item.filename, item.content_type, content)


@bp.post("/zones/<int:zone_id>/comments")
@login_required
def comment(zone_id: int):
    documents.comment(db_session(), current_user(), zone_id, request.form.get("body"))
    flash(tr(Msg("意见已发表")))
    return redirect(url_for("zones.show", zone_id=zone_id) + "#documents-h")
