"""Models carry English names, and the English pages draw the diagram with them."""

import re

import pytest
from lxml import etree

from tests.conftest import BPMN_DIR, application
from workflow import diagrams
from workflow.modelxml import BPMN, NS

NAME_EN = "./bpmn:extensionElements/camunda:properties/camunda:property[@name='name_en']/@value"


@pytest.mark.parametrize("path", sorted(BPMN_DIR.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_named_element_of_the_shipped_models_has_an_english_name(path):
    root = etree.parse(str(path)).getroot()
    named = [n for n in root.iter(etree.Element) if etree.QName(n).namespace == BPMN and n.get("name")]
    kinds = {etree.QName(n).localname for n in named}
    assert {"process", "participant", "lane", "userTask", "sequenceFlow"} <= kinds
    missing = [n.get("id") for n in named if not n.xpath(NAME_EN, namespaces=NS)]
    assert missing == []


def names(xml: str | bytes) -> dict[str, str]:
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    return {n.get("id"): n.get("name") for n in root.iter(etree.Element) if n.get("name") is not None
            and etree.QName(n).namespace == BPMN}


def test_the_english_diagram_replaces_names_and_keeps_everything_else():
    source = (BPMN_DIR / "zone_lifecycle.bpmn").read_text()
    english = diagrams.localized(source, "en")
    shown = names(english)
    assert shown["zone_lifecycle_participant"] == "Pilot zone application, acceptance and approval"
    assert shown["lane_bureau"] == "Inspection and quarantine bureau"
    assert shown["bureau_recommendation"] == "Bureau recommendation" and shown["f_revise"] == "Returned for revision"
    assert diagrams.localized(source, "zh") == source
    original, translated = etree.fromstring(source.encode()), etree.fromstring(english.encode())
    assert [n.tag for n in original.iter()] == [n.tag for n in translated.iter()], "only names change"


def test_a_pool_without_its_own_english_name_takes_its_processes():
    source = (BPMN_DIR / "replication.bpmn").read_text()
    start = source.index('<bpmn:participant id="replication_participant"')
    end = source.index("</bpmn:participant>", start) + len("</bpmn:participant>")
    bare = source[:start] + ('<bpmn:participant id="replication_participant" name="复制推广经验" '
                             'processRef="replication" />') + source[end:]
    assert names(diagrams.localized(bare, "en"))["replication_participant"] == "Replication of experience"


def test_pages_serve_the_diagram_in_their_language_and_process_owners_download_the_original(login_as):
    gov = login_as("henan.gov")
    gov.post("/zones/new", data={**application(), "csrf_token": gov.csrf})
    assert names(gov.get("/zones/1/diagram.bpmn").data)["lane_bureau"] == "直属检验检疫局"
    gov.get("/inbox?lang=en")
    assert names(gov.get("/zones/1/diagram.bpmn").data)["lane_bureau"] == "Inspection and quarantine bureau"
    owner = login_as("owner")
    owner.get("/processes?lang=en")
    shown = names(owner.get("/processes/1/diagram.bpmn").data).values()
    assert shown and not any(re.search(r"[\u4e00-\u9fff]", name) for name in shown)
    assert 'href="/processes/1/source.bpmn"' in owner.get("/processes/1").get_data(as_text=True)
    download = owner.get("/processes/1/source.bpmn")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    filename = download.headers["Content-Disposition"].split("=")[-1].strip('"')
    assert download.data == (BPMN_DIR / filename).read_bytes()
    assert "source.bpmn" not in gov.get("/processes/1").get_data(as_text=True)
    assert gov.get("/processes/1/source.bpmn").status_code == 403
