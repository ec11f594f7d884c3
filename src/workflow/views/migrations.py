"""Moving running instances to another version (process owners): the dry run, the move, the way back."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for

from workflow.errors import InvalidForm, Msg
from workflow.services import migrations, versions
from workflow.views import login_required, refused
from workflow.web import current_user, db_session, tr

bp = Blueprint("migrations", __name__, url_prefix="/processes/migrations")


def _page(target=None, verdicts=None, dry_run=True, form=None, errors=None):
    return render_template("migrations.html", rows=versions.listing(db_session()), target=target, verdicts=verdicts,
                           dry_run=dry_run, form=form or {}, errors=errors or {},
                           recent=migrations.recent(db_session(), current_user()))


@bp.get("")
@login_required
def index():
    return _page()


def _ids(name: str, many: bool = False) -> list[int]:
    raw = request.form.get(name, "").strip()
    parts = [p for p in re.split(r"[\s,]+", raw) if p]
    if not all(p.isascii() and p.isdigit() and 0 < int(p) < 2**31 for p in parts) or (len(parts) > 1 and not many):
        raise InvalidForm(Msg("表单有误，请按提示修改"), {name: Msg("应为流程实例编号，以逗号分隔")})
    return [int(p) for p in parts]


@bp.post("")
@login_required
def run():
    """``action`` is ``dry_run`` (report only) or ``migrate``."""
    dry_run = request.form.get("action") != "migrate"
    try:
        target, source = (_ids("target") or [0])[0], (_ids("source") or [None])[0]
        act = migrations.plan if dry_run else migrations.migrate
        found, verdicts = act(db_session(), current_user(), target, _ids("instances", many=True), source)
    except InvalidForm as exc:
        return _page(form=request.form, errors=refused(exc)), 400
    return _page(found, verdicts, dry_run, request.form)


@bp.post("/<int:instance_id>/rollback")
@login_required
def rollback(instance_id: int):
    record = migrations.rollback(db_session(), current_user(), instance_id)
    flash(tr(Msg("流程实例 %(i)s 已回到 %(p)s 第 %(v)s 版", i=instance_id, p=record.from_version.process_id,
                 v=record.from_version.version)))
    return redirect(url_for("migrations.index"))
