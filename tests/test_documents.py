"""Files and comments on a zone: told by content, stored once by hash, seen only by who sees the zone."""

import io
import zipfile

import pytest
from sqlalchemy import func, select

from tests.conftest import LIFECYCLE, PASSWORD, application, user
from workflow import files
from workflow.models import Attachment, Blob, Comment, Event, HumanTask, TaskStatus
from workflow.services import deploy, zones

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def office(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in parts:
            archive.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.fixture
def api(client):
    def as_user(username):
        token = client.post("/api/v1/token", json={"username": username, "password": PASSWORD}).json["token"]
        return {"Authorization": f"Bearer {token}"}
    return as_user


@pytest.fixture
def henan(session):
    """A Henan zone waiting for its bureau's recommendation."""
    return zones.file_application(session, user(session, "henan.gov"), application()).id


def send(client, zone_id, headers, content, name="plan.pdf"):
    return client.post(f"/api/v1/zones/{zone_id}/attachments", headers=headers,
                       data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def stored(session):
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Blob)),
            session.scalar(select(func.count()).select_from(Attachment)),
            session.scalar(select(func.count()).select_from(Comment)),
            session.scalar(select(func.count()).select_from(Event).where(
                Event.kind.in_(("attachment_added", "comment_added")))))


@pytest.mark.parametrize(("content", "kind"), [
    (PDF, files.PDF), (PNG, files.PNG), (JPEG, files.JPEG), (OLE, files.OLE),
    (office("[Content_Types].xml", "word/document.xml"), files.DOCX),
    (office("[Content_Types].xml", "xl/workbook.xml"), files.XLSX),
    (office("[Content_Types].xml", "ppt/presentation.xml"), files.PPTX),
    (office("word/document.xml"), None),  # a zip without [Content_Types].xml is no Office document
    (office("[Content_Types].xml", "evil.js"), None),
    (b"PK\x03\x04 not a zip", None), (EXE, None), (b"<html><script>", None), (b"", None),
])
def test_types_are_told_by_content(content, kind):
    assert files.sniff(content) == kind


def test_names_are_made_safe_and_carry_the_type_of_the_content():
    assert files.safe_name("../../etc/evil.exe", files.PDF) == "evil.exe.pdf"
    assert files.safe_name("C:\\docs\\建设方案.PDF", files.PDF) == "建设方案.pdf"
    assert files.safe_name('a"b;\r\nc.docx', files.DOCX) == "a_b___c.docx"
    assert files.safe_name("", files.PNG) == "file.png"
    assert files.safe_name("x" * 500 + ".jpeg", files.JPEG) == "x" * 115 + ".jpeg"
    assert files.ascii_name("建设方案.pdf") == "file.pdf"


def test_upload_list_download_through_the_api(client, api, session, henan):
    gov = api("henan.gov")
    created = send(client, henan, gov, PDF, "建设方案.pdf")
    assert created.status_code == 201, created.json
    item = created.json
    assert (item["filename"], item["content_type"], item["size"]) == ("建设方案.pdf", files.PDF, len(PDF))
    listed = client.get(f"/api/v1/zones/{henan}/attachments", headers=api("henan.bureau")).json
    assert [a["id"] for a in listed["items"]] == [item["id"]]
    got = client.get(f"/api/v1/zones/{henan}/attachments/{item['id']}", headers=api("hq.cnca"))
    assert got.status_code == 200 and got.data == PDF
    assert got.mimetype == files.PDF
    assert got.headers["Content-Disposition"].startswith('attachment; filename="file.pdf"; filename*=UTF-8\'\'')
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Cache-Control"] == "no-store"
    history = client.get(f"/api/v1/zones/{henan}", headers=gov).json["history"]
    assert history[-1]["action"] == "attachment_added"


def test_the_same_content_is_stored_once(client, api, session, henan):
    gov = api("henan.gov")
    assert send(client, henan, gov, PNG, "a.png").status_code == 201
    assert send(client, henan, api("henan.bureau"), PNG, "b.png").status_code == 201
    assert stored(session)[:2] == (1, 2)


def test_a_disguised_executable_is_refused_and_nothing_stored(client, api, session, henan):
    response = send(client, henan, api("henan.gov"), EXE, "建设方案.pdf")
    assert response.status_code == 415 and response.json["error"] == "unsupported_media_type"
    assert stored(session) == (0, 0, 0, 0)


def test_an_oversized_file_is_refused_and_nothing_stored(app, client, api, session, henan):
    app.config["WORKFLOW"]["MAX_ATTACHMENT_BYTES"] = 1000
    response = send(client, henan, api("henan.gov"), PDF + b"0" * 1000)
    assert response.status_code == 413 and response.json["error"] == "payload_too_large"
    app.config["MAX_CONTENT_LENGTH"] = 2000
    assert send(client, henan, api("henan.gov"), PDF + b"0" * 80000).status_code == 413  # beyond any body
    assert stored(session) == (0, 0, 0, 0)


def test_upload_needs_a_multipart_body_with_a_file(client, api, session, henan):
    gov = api("henan.gov")
    assert client.post(f"/api/v1/zones/{henan}/attachments", headers=gov, json={"file": "x"}).status_code == 415
    empty = client.post(f"/api/v1/zones/{henan}/attachments", headers=gov, data={},
                        content_type="multipart/form-data")
    assert empty.status_code == 400 and "file" in empty.json["fields"]
    extra = client.post(f"/api/v1/zones/{henan}/attachments", headers=gov, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(PDF), "a.pdf"), "note": "x"})
    assert extra.status_code == 400 and "note" in extra.json["fields"]
    assert stored(session) == (0, 0, 0, 0)


def test_files_and_comments_of_a_zone_one_cannot_see_are_404(client, api, session, henan):
    item = send(client, henan, api("henan.gov"), PDF).json
    before = stored(session)
    other = api("jiangxi.bureau")
    assert send(client, henan, other, PDF).status_code == 404
    assert client.get(f"/api/v1/zones/{henan}/attachments", headers=other).status_code == 404
    assert client.get(f"/api/v1/zones/{henan}/attachments/{item['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/zones/{henan}/comments", headers=other).status_code == 404
    assert client.post(f"/api/v1/zones/{henan}/comments", headers=other, json={"body": "x"}).status_code == 404
    assert client.post(f"/api/v1/zones/{henan}/comments", headers=api("jiangxi.gov"),
                       json={"body": "x"}).status_code == 404
    assert stored(session) == before


def test_a_file_is_only_reached_through_its_own_zone(client, api, session, henan):
    other = zones.file_application(session, user(session, "jiangxi.gov"),
                                   application(zone_name="赣州国检试验区", province="jiangxi")).id
    item = send(client, other, api("jiangxi.gov"), PDF).json
    hq = api("hq.cnca")
    assert client.get(f"/api/v1/zones/{henan}/attachments/{item['id']}", headers=hq).status_code == 404
    assert client.get(f"/api/v1/zones/{other}/attachments/{item['id']}", headers=hq).status_code == 200


def test_technical_accounts_see_files_but_do_not_add_them(client, api, session, henan):
    admin = api("admin")
    assert client.get(f"/api/v1/zones/{henan}/attachments", headers=admin).status_code == 200
    assert send(client, henan, admin, PDF).status_code == 403
    assert client.post(f"/api/v1/zones/{henan}/comments", headers=admin, json={"body": "x"}).status_code == 403
    assert stored(session) == (0, 0, 0, 0)


def test_comments_through_the_api(client, api, session, henan):
    posted = client.post(f"/api/v1/zones/{henan}/comments", headers=api("henan.bureau"),
                         json={"body": "  请补充建设方案  "})
    assert posted.status_code == 201 and posted.json["body"] == "请补充建设方案"
    seen = client.get(f"/api/v1/zones/{henan}/comments", headers=api("henan.gov")).json
    assert [(c["author"], c["body"]) for c in seen["items"]] == [("henan.bureau", "请补充建设方案")]
    history = client.get(f"/api/v1/zones/{henan}", headers=api("hq.food")).json["history"]
    assert (history[-1]["action"], history[-1]["comment"]) == ("comment_added", "请补充建设方案")


def test_a_comment_about_a_task_names_it_in_the_history(client, api, session, henan):
    task = session.scalar(select(HumanTask).where(HumanTask.zone_id == henan))
    posted = client.post(f"/api/v1/zones/{henan}/comments", headers=api("hq.clearance"),
                         json={"body": "请尽快推荐", "task_id": task.id})
    assert posted.status_code == 201 and posted.json["task_id"] == task.id
    event = session.scalar(select(Event).where(Event.kind == "comment_added"))
    assert (event.bpmn_id, event.instance_id, event.comment) == (task.bpmn_id, task.instance_id, "请尽快推荐")


def test_a_comment_on_a_task_of_another_province_is_404_and_nothing_stored(client, api, session, henan):
    other = zones.file_application(session, user(session, "jiangxi.gov"),
                                   application(zone_name="赣州国检试验区", province="jiangxi")).id
    theirs = session.scalar(select(HumanTask).where(HumanTask.zone_id == other))
    bureau = api("henan.bureau")
    for zone_id in (henan, other):  # through its own zone or through a zone the bureau sees
        response = client.post(f"/api/v1/zones/{zone_id}/comments", headers=bureau,
                               json={"body": "x", "task_id": theirs.id})
        assert response.status_code == 404
    bad = client.post(f"/api/v1/zones/{henan}/comments", headers=bureau, json={"body": "x", "task_id": "1"})
    assert bad.status_code == 400 and "task_id" in bad.json["fields"]
    assert stored(session) == (0, 0, 0, 0)


@pytest.mark.parametrize("body", ["", "   \n ", None, 5, "x" * 4001, "a\x07b", ["x"]])
def test_a_bad_comment_is_400_and_nothing_stored(client, api, session, henan, body):
    response = client.post(f"/api/v1/zones/{henan}/comments", headers=api("henan.gov"), json={"body": body})
    assert response.status_code == 400 and "body" in response.json["fields"]
    assert stored(session) == (0, 0, 0, 0)


def test_the_zone_page_uploads_comments_and_lists_them_in_the_history(login_as, session, henan):
    gov = login_as("henan.gov")
    page = gov.get(f"/zones/{henan}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="body"' in page
    uploaded = gov.post(f"/zones/{henan}/attachments", data={"csrf_token": gov.csrf,
                                                            "file": (io.BytesIO(PDF), "方案.pdf")},
                        content_type="multipart/form-data")
    assert uploaded.status_code == 302
    assert gov.post(f"/zones/{henan}/comments", data={"csrf_token": gov.csrf, "body": "已上传"}).status_code == 302
    [item] = session.scalars(select(Attachment)).all()
    page = login_as("henan.bureau").get(f"/zones/{henan}").get_data(as_text=True)
    assert f"/zones/{henan}/attachments/{item.id}" in page and "方案.pdf" in page and "已上传" in page
    assert "添加附件" in page and "发表意见" in page  # the history's labels of both steps
    download = gov.get(f"/zones/{henan}/attachments/{item.id}")
    assert download.data == PDF and download.headers["Content-Disposition"].startswith("attachment;")


def test_the_zone_page_refuses_bad_uploads_and_comments(login_as, session, henan):
    gov = login_as("henan.gov")
    disguised = gov.post(f"/zones/{henan}/attachments", data={"csrf_token": gov.csrf,
                                                             "file": (io.BytesIO(EXE), "plan.pdf")},
                         content_type="multipart/form-data")
    assert disguised.status_code == 415 and "Office" in disguised.get_data(as_text=True)
    assert gov.post(f"/zones/{henan}/comments", data={"csrf_token": gov.csrf, "body": " "}).status_code == 400
    forged = gov.post(f"/zones/{henan}/comments", data={"body": "x"})
    assert forged.status_code == 400
    other = login_as("jiangxi.gov")
    assert other.post(f"/zones/{henan}/comments", data={"csrf_token": other.csrf, "body": "x"}).status_code == 404
    assert other.get(f"/zones/{henan}/attachments/1").status_code == 404
    assert stored(session) == (0, 0, 0, 0)


@pytest.fixture
def with_file_field(session):
    """The lifecycle with an optional file field (建设指导意见书) on the bureau's recommendation."""
    field = ('<camunda:formField id="guidance_doc" label="建设指导意见书" type="file">'
             '<camunda:properties><camunda:property id="label_en" value="Guidance document" />'
             '</camunda:properties></camunda:formField>')
    source = LIFECYCLE.read_text()
    marker = '<camunda:formField id="comment" label="推荐意见说明"'
    assert source.count(marker) == 1
    deploy.deploy(session, LIFECYCLE.name, source.replace(marker, field + marker).encode())
    return zones.file_application(session, user(session, "henan.gov"), application()).id


def recommendation(session, zone_id):
    return session.scalar(select(HumanTask).where(HumanTask.zone_id == zone_id,
                                                  HumanTask.bpmn_id == "bureau_recommendation"))


def test_a_task_form_takes_a_file(login_as, session, with_file_field):
    task = recommendation(session, with_file_field)
    bureau = login_as("henan.bureau")
    page = bureau.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    done = bureau.post(f"/tasks/{task.id}", data={"csrf_token": bureau.csrf, "decision": "recommend",
                                                  "comment": "同意", "guidance_doc": (io.BytesIO(PDF), "意见书.pdf")},
                       content_type="multipart/form-data")
    assert done.status_code == 302, done.get_data(as_text=True)
    session.expire_all()
    [item] = session.scalars(select(Attachment)).all()
    assert (item.task_id, item.field, item.filename) == (task.id, "guidance_doc", "意见书.pdf")
    event = session.scalar(select(Event).where(Event.bpmn_id == "bureau_recommendation", Event.kind == "task_completed",
                                                Event.zone_id == with_file_field))
    assert event.data["guidance_doc"]["attachment"] == item.id
    page = bureau.get(f"/zones/{with_file_field}").get_data(as_text=True)
    assert f"/zones/{with_file_field}/attachments/{item.id}" in page


def test_a_disguised_file_in_a_task_form_is_a_field_error(login_as, session, with_file_field):
    task = recommendation(session, with_file_field)
    bureau = login_as("henan.bureau")
    refused = bureau.post(f"/tasks/{task.id}", data={"csrf_token": bureau.csrf, "decision": "recommend",
                                                     "comment": "同意", "guidance_doc": (io.BytesIO(EXE), "a.pdf")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and "Office" in refused.get_data(as_text=True)
    session.expire_all()
    assert recommendation(session, with_file_field).status == TaskStatus.OPEN
    assert stored(session) == (0, 0, 0, 0)


def test_the_api_fills_a_file_field_with_a_file_of_the_zone(client, api, session, with_file_field):
    task = recommendation(session, with_file_field)
    bureau = api("henan.bureau")
    other = zones.file_application(session, user(session, "jiangxi.gov"),
                                   application(zone_name="赣州国检试验区", province="jiangxi")).id
    foreign = send(client, other, api("jiangxi.gov"), PDF).json["id"]
    data = {"decision": "recommend", "comment": "同意", "guidance_doc": foreign}
    refused = client.post(f"/api/v1/tasks/{task.id}/complete", headers=bureau, json={"data": data})
    assert refused.status_code == 400 and "guidance_doc" in refused.json["fields"]
    own = send(client, with_file_field, bureau, PDF).json["id"]
    done = client.post(f"/api/v1/tasks/{task.id}/complete", headers=bureau,
                       json={"data": {**data, "guidance_doc": own}})
    assert done.status_code == 200, done.json
    session.expire_all()
    event = session.scalar(select(Event).where(Event.bpmn_id == "bureau_recommendation", Event.kind == "task_completed",
                                                Event.zone_id == with_file_field))
    assert event.data["guidance_doc"]["name"] == "plan.pdf"


def test_the_shipped_application_takes_the_construction_plan_as_a_file(login_as, session):
    from workflow.models import Zone

    gov = login_as("henan.gov")
    assert 'enctype="multipart/form-data"' in gov.get("/zones/new").get_data(as_text=True)
    form = {**application(), "priority_policies": "third_party", "csrf_token": gov.csrf}
    refused = gov.post("/zones/new", data={**form, "construction_plan_file": (io.BytesIO(EXE), "方案.pdf")},
                       content_type="multipart/form-data")
    assert refused.status_code == 400 and session.scalar(select(func.count()).select_from(Zone)) == 0
    assert stored(session) == (0, 0, 0, 0)
    filed = gov.post("/zones/new", data={**form, "construction_plan_file": (io.BytesIO(PDF), "方案.pdf")},
                     content_type="multipart/form-data")
    assert filed.status_code == 302, filed.get_data(as_text=True)
    session.expire_all()
    zone = session.scalar(select(Zone))
    [item] = session.scalars(select(Attachment)).all()
    assert zone.application["construction_plan_file"]["attachment"] == item.id and item.zone_id == zone.id
    bureau = login_as("henan.bureau")
    page = bureau.get(f"/zones/{zone.id}").get_data(as_text=True)
    assert f'/zones/{zone.id}/attachments/{item.id}" download>方案.pdf' in page
    assert bureau.get(f"/zones/{zone.id}/dossier.pdf").status_code == 200


def test_an_application_through_the_api_cannot_name_a_file_of_another_zone(client, api, session, henan):
    gov = api("henan.gov")
    item = send(client, henan, gov, PDF).json["id"]
    response = client.post("/api/v1/zones", headers=gov,
                           json=application(zone_name="洛阳国检试验区", construction_plan_file=item))
    assert response.status_code == 400 and "construction_plan_file" in response.json["fields"]
