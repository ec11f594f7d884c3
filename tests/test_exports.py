"""Exports of the event log (CSV, XES) from the command line, the zone page and the API, and the PDF dossier."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from tests.conftest import PASSWORD, START, act, application, approve_zone, pass_at, run_year, user
from workflow import dossier
from workflow.services import zones

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("xes.xsd"))))


@pytest.fixture
def two_zones(app, session):
    """An operating zone with a rated year, and a rejected one of the other province."""
    henan = approve_zone(session)
    run_year(app, session, START, 95)
    act(session, "hq.leader", "commendation", START + timedelta(days=400), commendation_number="表扬1号",
        comment="好")
    jiangxi = zones.file_application(session, user(session, "jiangxi.gov"),
                                     application(zone_name="赣州国检试验区", province="jiangxi"), now=START)
    pass_at(app, START + timedelta(days=31))
    act(session, "jiangxi.bureau", "bureau_recommendation", START + timedelta(days=32), decision="reject",
        comment="不具备条件")
    return henan, jiangxi


def export(app, tmp_path, monkeypatch, fmt, *extra):
    from workflow.cli import main

    monkeypatch.setenv("WORKFLOW_DATABASE_URL", app.extensions["workflow.db"].url)
    out = tmp_path / f"log.{fmt}"
    result = CliRunner().invoke(main, ["export-log", "--format", fmt, "--output", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out


def test_the_xes_log_validates_against_the_schema_and_has_one_trace_per_instance(app, session, two_zones,
                                                                                 tmp_path, monkeypatch):
    henan, jiangxi = two_zones
    document = etree.parse(str(export(app, tmp_path, monkeypatch, "xes")))
    XSD.assertValid(document)
    ns = {"x": "http://www.xes-standard.org/"}
    traces = document.findall("x:trace", ns)
    names = [t.find("x:string[@key='concept:name']", ns).get("value") for t in traces]
    assert names == [f"zone_lifecycle-{henan.lifecycle.id}", f"zone_supervision-{henan.instances[1].id}",
                     f"zone_lifecycle-{jiangxi.lifecycle.id}"], "one per instance; year 2 has no step yet"
    uris = {e.get("uri") for e in document.findall("x:extension", ns)}
    assert uris == {f"http://www.xes-standard.org/{p}.xesext" for p in ("concept", "time", "org", "lifecycle")}
    first = traces[0].findall("x:event", ns)[0]
    keys = {a.get("key"): a.get("value") for a in first}
    assert keys["concept:name"] == "填报建设申请" and keys["org:resource"] == "henan.gov"
    assert keys["lifecycle:transition"] == "complete" and keys["time:timestamp"].startswith("2027-01-04T01:30")
    assert keys["org:group"] == "河南省人民政府"


def test_the_xes_log_loads_in_pm4py(app, session, two_zones, tmp_path, monkeypatch):
    pm4py = pytest.importorskip("pm4py")
    monkeypatch.setattr(pm4py.util.constants, "SHOW_INTERNAL_WARNINGS", False)  # "install r4pm for speed"
    path = export(app, tmp_path, monkeypatch, "xes", "--zone", str(two_zones[0].id))
    log = pm4py.read_xes(str(path))
    assert set(log["case:concept:name"]) == {f"zone_lifecycle-{two_zones[0].lifecycle.id}",
                                             f"zone_supervision-{two_zones[0].instances[1].id}"}
    lifecycle = log[log["case:concept:name"] == f"zone_lifecycle-{two_zones[0].lifecycle.id}"]
    assert list(lifecycle["concept:name"])[:2] == ["填报建设申请", "直属局推荐意见"]
    assert set(log["org:resource"]) >= {"henan.gov", "henan.bureau", "hq.leader", "system"}
    assert str(log["time:timestamp"].dtype).startswith("datetime64"), "timestamps are read as times"
    variants = pm4py.get_variants(lifecycle)
    assert len(variants) == 1


def test_the_csv_log_of_one_zone(app, session, two_zones, tmp_path, monkeypatch):
    henan, jiangxi = two_zones
    text = export(app, tmp_path, monkeypatch, "csv", "--zone", str(jiangxi.id)).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["zone"] for r in rows} == {"赣州国检试验区"}
    assert [r["kind"] for r in rows] == ["task_completed", "timer_fired", "task_overdue", "task_completed",
                                         "task_withdrawn", "automatic"]
    assert rows[3]["decision"] == "reject" and rows[3]["person"] and rows[3]["lifecycle"] == "complete"
    assert rows[4]["lifecycle"] == "withdraw"


def test_the_zone_page_and_the_api_export_only_what_the_user_may_see(app, session, client, two_zones, login_as):
    henan, jiangxi = two_zones
    bureau = login_as("henan.bureau")
    page = bureau.get(f"/zones/{henan.id}").get_data(as_text=True)
    assert f"/zones/{henan.id}/log.xes" in page and f"/zones/{henan.id}/dossier.pdf" in page
    xes = bureau.get(f"/zones/{henan.id}/log.xes")
    assert xes.status_code == 200 and xes.mimetype == "application/xml"
    XSD.assertValid(etree.fromstring(xes.data))
    assert bureau.get(f"/zones/{jiangxi.id}/log.csv").status_code == 404
    token = client.post("/api/v1/token", json={"username": "hq.food", "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get(f"/api/v1/zones/{jiangxi.id}/log?format=csv", headers=headers)
    assert listed.status_code == 200 and "赣州国检试验区" in listed.get_data(as_text=True)
    assert client.get(f"/api/v1/zones/{jiangxi.id}/log?format=pdf", headers=headers).status_code == 400
    assert client.get(f"/api/v1/zones/{jiangxi.id}/log", headers=headers).mimetype == "application/xml"


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_the_dossier_carries_the_zone_its_decisions_and_an_embedded_cjk_font(app, session, two_zones, login_as):
    henan, _ = two_zones
    response = login_as("hq.clearance").get(f"/zones/{henan.id}/dossier.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "郑州航空港国检试验区" in text
    for words in ("直属局推荐意见", "同意", "表扬1号", "优秀"):
        assert words in text, words
    name, embedded = dossier.font()
    if embedded:
        assert b"/FontFile2" in response.data, "the TrueType CJK font is embedded"
    assert len(response.data) < 2_000_000, "only the glyphs used are embedded"


def test_without_a_cjk_font_file_the_dossier_still_renders_its_text(app, session, two_zones, login_as, monkeypatch):
    monkeypatch.setattr(dossier, "FONT_FILES", ())
    monkeypatch.delenv("WORKFLOW_PDF_FONT", raising=False)
    dossier.font.cache_clear()
    try:
        response = login_as("hq.clearance").get(f"/zones/{two_zones[0].id}/dossier.pdf")
        assert dossier.font() == ("STSong-Light", False)
        assert response.status_code == 200 and "郑州航空港国检试验区" in pdf_text(response.data)
    finally:
        dossier.font.cache_clear()


def test_an_english_reader_gets_an_english_dossier(app, session, two_zones, login_as):
    client = login_as("hq.clearance")
    client.get("/inbox?lang=en")
    text = pdf_text(client.get(f"/zones/{two_zones[0].id}/dossier.pdf").data)
    assert "Construction application" in text and "Mean evaluation scores" in text and "郑州航空港国检试验区" in text

