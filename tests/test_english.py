"""In English no page shows Chinese except what people typed: each demo role walks every page it can reach.

The programme (tests/programme.py) has zones at every stage. Each demo user logs in, chooses English,
and follows every link from the navigation on (zones, their years, tasks, forms, the catalogue,
processes, the overview, admin pages, the CSV export, the diagrams), and sends each form once empty
to see its messages. What people typed is stripped first: zone names, the application, comments,
reports, measures, display names, and the names of organisations that have no English name. Any
CJK character or full-width punctuation left over is the application's own text, untranslated.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from lxml import etree
from markupsafe import escape
from sqlalchemy import select

from tests import programme
from tests.conftest import csrf_of
from workflow.models import Adoption, Event, Experience, Measure, Organisation, User, Zone, ZoneRecord
from workflow.services.setup import DEMO_USERS

CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
LINK = re.compile(r'(?:href|data-src)="(/[^"#]*)')
# Text marked as Chinese on purpose: the 中文 language switch, the Chinese names beside the English ones in admin.
MARKED_CHINESE = re.compile(r'<(\w+) [^>]*lang="zh-CN"[^>]*>[^<]*</\1>')
# The suffix the notice prescribes for every zone's name; the naming rule quotes it in any language.
PRESCRIBED = "国检试验区"
NOT_PAGES = ("/static/", "/favicon.ico", "/logout", "/source.bpmn", "lang=")


def _texts(value) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return [line.strip() for line in str(value).splitlines() if line.strip()] if value else []


def typed(session) -> list[str]:
    """Everything people entered, longest first (so a name is removed before a part of it)."""
    found: list = []
    for zone in session.scalars(select(Zone)):
        found += [zone.name, zone.approval_number, zone.application]
    found += [u.display_name for u in session.scalars(select(User))]
    found += [o.name for o in session.scalars(select(Organisation)) if not o.name_en]
    for event in session.scalars(select(Event)):
        found += [event.comment, event.data] + ([event.organisation] if not event.organisation_en else [])
    found += [r.data for r in session.scalars(select(ZoneRecord))]
    found += [(m.title, m.data) for m in session.scalars(select(Measure))]
    found += [(e.title, e.data) for e in session.scalars(select(Experience))]
    found += [a.note for a in session.scalars(select(Adoption))]
    return sorted(set(_texts(found)), key=len, reverse=True)


def chinese_left(text: str, entered: list[str]) -> list[str]:
    text = MARKED_CHINESE.sub("", text)
    for value in entered:
        text = text.replace(str(escape(value)), "").replace(value, "")
    return CHINESE.findall(text.replace(f"xx{PRESCRIBED}", ""))


def diagram_names(xml: bytes) -> str:
    """The names bpmn-js draws from a diagram (its other text, like conditions, is never shown)."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    return "\n".join(node.get("name") for node in root.iter(etree.Element) if node.get("name") is not None
                     and etree.QName(node).namespace == "http://www.omg.org/spec/BPMN/20100524/MODEL")


def pdf_text(body: bytes) -> str:
    """The text a reader of the PDF sees."""
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def walk(client, entered: list[str]) -> tuple[set[str], dict[str, list[str]], dict[str, int]]:
    """Every page reachable from the inbox, the Chinese left on each, and the pages that did not answer 200."""
    queue, seen = deque(["/inbox?lang=en"]), set()
    leftovers, broken = {}, {}
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow_redirects=True)
        if response.status_code != 200:
            broken[url] = response.status_code
        body = response.get_data()
        if response.mimetype == "application/pdf":
            text = pdf_text(body)
        else:
            text = diagram_names(body) if urlsplit(url).path.endswith(".bpmn") else body.decode("utf-8")
        left = chinese_left(text, entered)
        if left:
            leftovers[url] = left
        if response.mimetype == "text/html":
            for link in LINK.findall(text):
                target = urljoin(url, link.replace("&amp;", "&"))
                if not any(part in target for part in NOT_PAGES) and target not in seen:
                    queue.append(target)
    return seen, leftovers, broken


def refused_forms(client, entered: list[str], pages: set[str]) -> dict[str, list[str]]:
    """Each form the user reached, sent empty: its messages must be English too."""
    leftovers = {}
    for url in sorted(pages):
        path = urlsplit(url).path
        if re.fullmatch(r"/(zones/new|zones/\d+/(measures|experiences)/new|tasks/\d+)", path):
            response = client.post(path, data={"csrf_token": client.csrf})
            left = chinese_left(response.get_data(as_text=True), entered)
            if left:
                leftovers["POST " + path] = left
    return leftovers


def test_english_pages_show_no_chinese_but_what_people_typed(app, session):
    programme.build(app)
    entered = typed(session)
    assert "郑州航空港国检试验区" in entered and "河南局经办人" in entered
    assert "河南检验检疫局" not in entered, "organisations with an English name must show it"
    problems, dead, walked = {}, {}, set()
    for username, *_ in DEMO_USERS:
        client = app.test_client()
        client.get("/login?lang=en")
        token = csrf_of(client)
        client.post("/login", data={"username": username, "password": "demo-pass-1", "csrf_token": token})
        client.csrf = csrf_of(client, "/inbox")
        pages, leftovers, broken = walk(client, entered)
        walked |= {re.sub(r"\d+", "N", urlsplit(url).path) for url in pages}
        leftovers.update(refused_forms(client, entered, pages))
        problems.update({f"{username} {url}": left for url, left in leftovers.items()})
        dead.update({f"{username} {url}": status for url, status in broken.items()})
    assert {"/zones/N", "/tasks/N", "/experiences", "/overview", "/processes/N", "/admin/users/N",
            "/zones/N/measures/new", "/zones/N/experiences/new", "/zones/new", "/zones.csv",
            "/zones/N/diagram.bpmn"} <= walked
    assert not problems, "\n".join(f"{where}: {' '.join(sorted(set(left)))}" for where, left in problems.items())
    assert not dead, f"links that do not answer 200: {dead}"
