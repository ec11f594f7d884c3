"""Moving running instances to another version: the dry run, the bulk move, the history, and the way back."""

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.conftest import LIFECYCLE, START, act, application, bearer, user
from workflow.errors import Conflict, NotFound, PermissionDenied
from workflow.models import Event, HumanTask, InstanceMigration, ProcessVersion, TaskStatus
from workflow.services import deploy, migrations, tasks, zones

RENAMED = LIFECYCLE.read_bytes().replace('name="直属局推荐意见"'.encode(), 'name="直属局推荐"'.encode(), 1)


def file(session, name):
    return zones.file_application(session, user(session, "henan.gov"), application(zone_name=name), now=START)


def two_zones_and_v2(session):
    """Zone A waits for its recommendation; zone B has had it; v2 renames the recommendation task."""
    a, b = file(session, "开封国检试验区"), file(session, "洛阳国检试验区")
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意")
    session.expire_all()
    if a.lifecycle.position != "bureau_recommendation":  # the inbox handed out b's task first
        a, b = b, a
    v1 = a.lifecycle.process_version
    v2, _ = deploy.upload(session, user(session, "owner"), {"zone_lifecycle.bpmn": RENAMED})[0]
    return a, b, v1, v2


def test_the_dry_run_says_which_instances_can_move_and_why_not(session):
    a, b, v1, v2 = two_zones_and_v2(session)
    target, verdicts = migrations.plan(session, user(session, "owner"), v2.id, from_version_id=v1.id)
    by_zone = {v.instance.zone_id: v for v in verdicts}
    assert target.id == v2.id and set(by_zone) == {a.id, b.id}
    assert by_zone[a.id].ok
    assert by_zone[b.id].reasons == ["changed:bureau_recommendation"]  # it completed the task v2 changes
    session.expire_all()
    assert a.lifecycle.process_version_id == v1.id, "a dry run moves nothing"
    assert session.scalars(select(InstanceMigration)).all() == []


def test_a_bulk_move_takes_those_that_can_records_each_and_leaves_the_others(session):
    a, b, v1, v2 = two_zones_and_v2(session)
    _, verdicts = migrations.migrate(session, user(session, "owner"), v2.id, from_version_id=v1.id, now=START)
    assert {v.instance.zone_id: v.moved for v in verdicts} == {a.id: True, b.id: False}
    session.expire_all()
    assert a.lifecycle.process_version_id == v2.id and b.lifecycle.process_version_id == v1.id
    task = session.scalar(select(HumanTask).where(HumanTask.zone_id == a.id, HumanTask.status == TaskStatus.OPEN))
    assert task.name == "直属局推荐"
    assert task.id in [t.id for t in tasks.inbox(session, user(session, "henan.bureau"))], "still in the inbox"
    [event] = session.scalars(select(Event).where(Event.kind == "instance_migrated")).all()
    assert event.zone_id == a.id and event.comment == f"zone_lifecycle v{v1.version} → v{v2.version}"
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意")
    session.expire_all()
    assert a.lifecycle.position == "organise_acceptance", "the moved instance runs on"


def test_a_moved_instance_goes_back_until_it_moves_on(session):
    a, _, v1, v2 = two_zones_and_v2(session)
    owner = user(session, "owner")
    migrations.migrate(session, owner, v2.id, [a.lifecycle.id], now=START)
    with pytest.raises(PermissionDenied):
        migrations.rollback(session, user(session, "admin"), a.lifecycle.id)
    migrations.rollback(session, owner, a.lifecycle.id, now=START)
    session.expire_all()
    assert a.lifecycle.process_version_id == v1.id
    task = session.scalar(select(HumanTask).where(HumanTask.zone_id == a.id, HumanTask.status == TaskStatus.OPEN))
    assert task.name == "直属局推荐意见"
    assert session.scalar(select(Event).where(Event.kind == "migration_rolled_back")).zone_id == a.id
    with pytest.raises(NotFound):
        migrations.rollback(session, owner, a.lifecycle.id)
    migrations.migrate(session, owner, v2.id, [a.lifecycle.id], now=START)
    act(session, "henan.bureau", "bureau_recommendation", START, decision="recommend", comment="同意")
    with pytest.raises(Conflict):
        migrations.rollback(session, owner, a.lifecycle.id)
    session.expire_all()
    assert a.lifecycle.process_version_id == v2.id


def test_only_process_owners_migrate_and_choices_are_checked(session):
    a, _, v1, v2 = two_zones_and_v2(session)
    with pytest.raises(PermissionDenied):
        migrations.plan(session, user(session, "admin"), v2.id, from_version_id=v1.id)
    owner = user(session, "owner")
    _, [same] = migrations.plan(session, owner, v1.id, [a.lifecycle.id])
    assert same.reasons == ["same_version"]
    other = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == "zone_supervision"))
    assert migrations.plan(session, owner, other.id, [a.lifecycle.id])[1][0].reasons == ["other_process"]
    with pytest.raises(NotFound):
        migrations.plan(session, owner, v2.id, [a.lifecycle.id, 99999])


def test_the_api_reports_a_dry_run_moves_and_moves_back(client, session):
    a, b, v1, v2 = two_zones_and_v2(session)
    owner = bearer(client, "owner")
    body = {"target_version": v2.id, "from_version": v1.id, "dry_run": True}
    report = client.post("/api/v1/migrations", json=body, headers=owner)
    assert report.status_code == 200, report.json
    items = {i["zone_id"]: i for i in report.json["items"]}
    assert items[a.id]["can_move"] and not items[a.id]["moved"]
    assert items[b.id]["reasons"] == ["changed:bureau_recommendation"]
    moved = client.post("/api/v1/migrations", json={**body, "dry_run": False}, headers=owner).json
    assert {i["zone_id"]: i["moved"] for i in moved["items"]} == {a.id: True, b.id: False}
    back = client.post(f"/api/v1/instances/{items[a.id]['instance']}/rollback", headers=owner)
    assert back.status_code == 200 and back.json["process_version"] == f"zone_lifecycle:{v1.version}"
    assert client.post(f"/api/v1/instances/{items[a.id]['instance']}/rollback", headers=owner).status_code == 404
    assert client.post("/api/v1/migrations", json=body, headers=bearer(client, "admin")).status_code == 403
    bad = client.post("/api/v1/migrations", json={"target_version": "x", "instances": [0]}, headers=owner)
    assert bad.status_code == 400 and set(bad.json["fields"]) == {"target_version", "instances"}
    both = client.post("/api/v1/migrations", json={**body, "instances": [1]}, headers=owner)
    assert both.status_code == 400


def test_the_command_line_migrates_with_a_dry_run_first(cli_db, tmp_path):
    from workflow.cli import main

    def run(*args):
        return CliRunner().invoke(main, list(args))

    assert run("init", "--demo").exit_code == 0
    with cli_db.session() as session:
        two_zones_and_v2(session)
    dry = run("migrate", "--to", "zone_lifecycle:2", "--from", "zone_lifecycle:1", "--dry-run", "--as", "owner")
    assert dry.exit_code == 1 and "changed:bureau_recommendation" in dry.output
    assert "1 of 2 instance(s) can move to zone_lifecycle v2" in dry.output
    moved = run("migrate", "--to", "zone_lifecycle:2", "--from", "zone_lifecycle:1", "--as", "owner")
    assert "1 of 2 instance(s) moved" in moved.output
    refused = run("migrate", "--to", "zone_lifecycle:2", "--from", "zone_lifecycle:1", "--as", "admin")
    assert refused.exit_code == 1 and "流程管理员" in refused.output


def test_the_page_runs_a_dry_run_then_the_move_and_offers_the_way_back(session, login_as):
    a, b, v1, v2 = two_zones_and_v2(session)
    owner = login_as("owner")
    form = {"csrf_token": owner.csrf, "target": str(v2.id), "source": str(v1.id), "instances": ""}
    page = owner.post("/processes/migrations", data={**form, "action": "dry_run"}).get_data(as_text=True)
    assert "可以迁移" in page and "不能迁移" in page and "bureau_recommendation" in page
    session.expire_all()
    assert a.lifecycle.process_version_id == v1.id
    page = owner.post("/processes/migrations", data={**form, "action": "migrate"}).get_data(as_text=True)
    assert "已迁移" in page and "撤销迁移" in page
    zone_page = owner.get(f"/zones/{a.id}").get_data(as_text=True)
    assert "迁移到新版本" in zone_page and f"zone_lifecycle v{v1.version} → v{v2.version}" in zone_page
    response = owner.post(f"/processes/migrations/{a.lifecycle.id}/rollback", data={"csrf_token": owner.csrf})
    assert response.status_code == 302
    session.expire_all()
    assert a.lifecycle.process_version_id == v1.id
    assert "已撤销" in owner.get("/processes/migrations").get_data(as_text=True)
    assert login_as("admin").get("/processes/migrations").status_code == 403
    bad = owner.post("/processes/migrations", data={**form, "source": "", "instances": "1; drop"})
    assert bad.status_code == 400
