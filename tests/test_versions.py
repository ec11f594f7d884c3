"""Versions: deploying through the API, the version list, downloads and comparing two versions."""

import io

from click.testing import CliRunner
from sqlalchemy import func, select

from tests.conftest import LIFECYCLE, bearer, process_xml
from workflow import cli, modeldiff
from workflow.models import ProcessVersion

# The recommendation's deadline, 30 days, becomes 20.
CHANGED = LIFECYCLE.read_bytes().replace(b'camunda:candidateGroups="bureau" camunda:dueDate="P30D"',
                                        b'camunda:candidateGroups="bureau" camunda:dueDate="P20D"', 1)


def deploy(client, headers, *files, comment=""):
    data = {"file": [(io.BytesIO(content), name) for name, content in files], "comment": comment}
    return client.post("/api/v1/process-definitions", data=data, headers=headers, content_type="multipart/form-data")


def count(session):
    return session.scalar(select(func.count()).select_from(ProcessVersion))


def test_a_process_owner_deploys_with_a_comment_and_the_list_says_who_when_and_how_many_run(client, session, zone):
    headers = bearer(client, "owner")
    response = deploy(client, headers, ("zone_lifecycle.bpmn", CHANGED), comment="推荐期限改为 20 天")
    assert response.status_code == 201, response.json
    [item] = response.json["items"]
    assert item["created"] and item["version"] == 2 and item["comment"] == "推荐期限改为 20 天"
    assert item["deployed_by"] == "owner"
    again = deploy(client, headers, ("zone_lifecycle.bpmn", CHANGED))
    assert again.status_code == 201 and not again.json["items"][0]["created"]
    listed = {(i["process_id"], i["version"]): i for i in client.get("/api/v1/process-definitions",
                                                                      headers=headers).json["items"]}
    assert listed[("zone_lifecycle", 2)]["current"] and not listed[("zone_lifecycle", 1)]["current"]
    assert listed[("zone_lifecycle", 1)]["running_instances"] == 0  # the zone's lifecycle has ended
    assert listed[("zone_supervision", 1)]["running_instances"] == 1  # its first supervision year runs
    assert len(listed[("zone_lifecycle", 2)]["content_hash"]) == 64


def test_everyone_but_a_process_owner_is_refused_even_an_administrator(client, session):
    before = count(session)
    for name in ("admin", "hq.leader", "henan.gov"):
        assert deploy(client, bearer(client, name), ("zone_lifecycle.bpmn", CHANGED)).status_code == 403, name
    assert count(session) == before


def test_bad_uploads_answer_400_listing_problems_and_store_nothing(client, session):
    headers, before = bearer(client, "owner"), count(session)
    doctype = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY n "x">]>\n' + CHANGED.split(b"?>", 1)[1]
    lint_error = CHANGED.replace(b'decision == "recommend"', b"${decision == 'recommend'}")
    cases = [(("notes.txt", b"hello"), "only .bpmn"), (("zone_lifecycle.bpmn", b"not xml at all"), "not well-formed"),
             (("zone_lifecycle.bpmn", doctype), "DOCTYPE"), (("zone_lifecycle.bpmn", lint_error), "")]
    for upload, words in cases:
        response = deploy(client, headers, upload)
        assert response.status_code == 400, upload[0]
        assert response.json["error"] == "invalid_model" and response.json["problems"]
        assert words in " ".join(p["message"] for p in response.json["problems"])
    problems = deploy(client, headers, ("zone_lifecycle.bpmn", lint_error)).json["problems"]
    assert {"file": "zone_lifecycle.bpmn", "element": "f_recommended"} in [
        {k: p[k] for k in ("file", "element")} for p in problems]
    assert deploy(client, headers).status_code == 400  # no file at all
    assert count(session) == before


def test_the_deployed_file_downloads_exactly_as_uploaded(client, session):
    headers = bearer(client, "owner")
    version_id = deploy(client, headers, ("zone_lifecycle.bpmn", CHANGED)).json["items"][0]["id"]
    response = client.get(f"/api/v1/process-definitions/{version_id}/source.bpmn", headers=headers)
    assert response.status_code == 200 and response.data == CHANGED
    assert "attachment" in response.headers["Content-Disposition"]
    refused = client.get(f"/api/v1/process-definitions/{version_id}/source.bpmn", headers=bearer(client, "henan.gov"))
    assert refused.status_code == 403


def _changed_model() -> bytes:
    """The lifecycle with a renamed task, and a changed condition and due date."""
    source = CHANGED.replace('name="直属局推荐意见"'.encode(), 'name="推荐"'.encode(), 1)
    return source.replace(b'decision == "recommend"', b'decision == "recommend" and True', 1)


def test_comparing_two_versions_lists_what_changed_and_marks_both_diagrams(client, session, login_as):
    headers = bearer(client, "owner")
    new_id = deploy(client, headers, ("zone_lifecycle.bpmn", _changed_model())).json["items"][0]["id"]
    old_id = session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == "zone_lifecycle",
                                                            ProcessVersion.version == 1))
    diff = client.get(f"/api/v1/process-definitions/{old_id}/diff/{new_id}", headers=headers).json
    changes = {c["id"]: c for c in diff["changes"]}
    assert changes["bureau_recommendation"]["status"] == "changed"
    assert {"name", "due"} <= set(changes["bureau_recommendation"]["aspects"])
    assert changes["f_recommended"]["aspects"] == ["condition"]
    assert all(c["status"] == "changed" for c in diff["changes"])
    page = login_as("hq.leader").get(f"/processes/compare?old={old_id}&new={new_id}").get_data(as_text=True)
    assert 'data-changed="' in page and "bureau_recommendation" in page and page.count('class="diagram"') == 2
    other = session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == "zone_supervision"))
    assert client.get(f"/api/v1/process-definitions/{old_id}/diff/{other}", headers=headers).status_code == 400


def test_added_and_removed_elements_are_found():
    old = LIFECYCLE.read_text()
    new = old.replace('"not_recommended"', '"not_recommended_2"').replace(">not_recommended<", ">not_recommended_2<")
    diff = modeldiff.compare(old, new)
    assert diff.ids("removed") == ["not_recommended"]
    assert diff.ids("added") == ["not_recommended_2"]


def test_the_comparison_and_migration_pages_speak_english(client, session, login_as):
    import re
    headers = bearer(client, "owner")
    new_id = deploy(client, headers, ("zone_lifecycle.bpmn", _changed_model())).json["items"][0]["id"]
    old_id = session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == "zone_lifecycle",
                                                            ProcessVersion.version == 1))
    owner = login_as("owner")
    owner.get("/processes?lang=en")
    chinese = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")

    def left(response):
        # what people typed: the renamed task (no English name of its own here), the owner's display name
        text = response.get_data(as_text=True).replace("推荐", "").replace("流程管理员", "")
        return chinese.findall(re.sub(r'lang="zh-CN"[^>]*>[^<]*<', "", text))

    for path in (f"/processes/compare?old={old_id}&new={new_id}", "/processes/migrations", "/processes"):
        assert not left(owner.get(path)), path
    report = owner.post("/processes/migrations", data={"csrf_token": owner.csrf, "target": str(new_id),
                                                        "source": str(old_id), "action": "dry_run"})
    assert report.status_code == 200 and not left(report)


NOTIFY = process_xml("""
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <bpmn:userTask id="check" name="核查" camunda:candidateGroups="hq_clearance">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="notify"/>
    <bpmn:serviceTask id="notify" name="通知" camunda:class="org.example.Mail">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="notify" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
""")


def renamed(name: str) -> bytes:
    """The same model with its user task renamed: a new version, the same warning."""
    return NOTIFY.decode().replace('name="核查"', f'name="{name}"').encode()


def test_a_model_with_warnings_deploys_and_says_them_on_the_page_in_the_api_and_on_the_command_line(
        app, client, session, login_as, tmp_path, monkeypatch):
    response = deploy(client, bearer(client, "owner"), ("notify.bpmn", NOTIFY))
    assert response.status_code == 201, response.json
    [item] = response.json["items"]
    assert item["created"] and [w["element"] for w in item["warnings"]] == ["notify"]
    assert "calls nothing" in item["warnings"][0]["message"]
    owner = login_as("owner")
    page = owner.post("/processes", data={"files": (io.BytesIO(renamed("复核")), "notify.bpmn"),
                                          "csrf_token": owner.csrf},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "部署提示 notify.bpmn:notify: warning:" in page.get_data(as_text=True)
    path = tmp_path / "notify.bpmn"
    path.write_bytes(renamed("审查"))
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", str(app.extensions["workflow.db"].engine.url))
    result = CliRunner().invoke(cli.main, ["deploy", str(path)])
    assert result.exit_code == 0, result.output
    assert "notify.bpmn:notify: warning: service task" in result.stderr
