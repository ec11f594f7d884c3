"""Every user-facing string has an English translation; the catalogue keeps placeholders intact."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from workflow.config import ROOT

CATALOG = ROOT / "src" / "workflow" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "Msg": None, "N_": None, "tr": None}


def extracted() -> set[str]:
    found = set()
    for method, directory in [("python", ROOT / "src"), ("jinja2", ROOT / "web" / "templates")]:
        pattern = "**.py" if method == "python" else "**.html"
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(directory), method_map=[(pattern, method)], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalog():
    with Path(CATALOG).open("rb") as fh:
        return read_po(fh)


def test_every_extracted_message_is_translated():
    translations = {m.id: m.string for m in catalog() if m.id}
    missing = sorted(m for m in extracted() if not translations.get(m))
    assert missing == [], "run `make extract-messages` and translate: " + ", ".join(missing)


def test_placeholders_survive_translation():
    for message in catalog():
        if message.id:
            placeholders = set(re.findall(r"%\(\w+\)s", message.id))
            assert placeholders == set(re.findall(r"%\(\w+\)s", message.string)), message.id
