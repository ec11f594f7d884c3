"""The diagram XML a page shows: in English, each element's ``name`` is its ``name_en`` property.

bpmn-js draws the ``name`` attributes, so the English page gets a copy of the model with those
replaced (pools fall back to their process's English name). The deployed file itself is kept
unchanged; process owners download it as they uploaded it.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from workflow.modelxml import BPMN, NS

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_NAME_EN = "string(./bpmn:extensionElements/camunda:properties/camunda:property[@name='name_en']/@value)"


def localized(source: str, lang: str) -> str:
    """The model as the page in ``lang`` shows it."""
    return english(source) if lang == "en" else source


@lru_cache(maxsize=32)
def english(source: str) -> str:
    """``source`` with every BPMN ``name`` that has an English name replaced by it; others stay as they are."""
    root = etree.fromstring(source.encode("utf-8"), _PARSER)
    bpmn = [node for node in root.iter(etree.Element) if etree.QName(node).namespace == BPMN and node.get("id")]
    english_names = {node.get("id"): node.xpath(_NAME_EN, namespaces=NS) for node in bpmn}
    for node in bpmn:
        if node.get("name") is None:
            continue
        name = english_names.get(node.get("id")) or english_names.get(node.get("processRef") or "")
        if name:
            node.set("name", name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
