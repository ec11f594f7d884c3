"""Which characters text may hold: names are NFKC-normalised and visible; other text has no control characters."""

from __future__ import annotations

import re
import unicodedata

from workflow.errors import Msg

# Format, control, private-use, unassigned and surrogate code points, line and paragraph separators.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"}
# Letters and symbols that render as blank space (Hangul fillers, braille blank).
_BLANK_LOOKALIKES = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
# Embeddings, overrides and isolates reorder what a reader sees ("Trojan Source").
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def normalise_name(value: str) -> str:
    """The form of a name that is stored and compared: NFKC (full-width and compatibility forms folded), trimmed."""
    return re.sub(" {2,}", " ", unicodedata.normalize("NFKC", value)).strip()


def name_problem(value: str) -> Msg | None:
    """Why a (normalised) name cannot be used, or None: invisible characters make look-alike names."""
    if any(unicodedata.category(c) in _INVISIBLE_CATEGORIES or c in _BLANK_LOOKALIKES for c in value):
        return Msg("不能含有不可见字符、控制字符或文字方向控制符")
    return None


def text_problem(value: str, multiline: bool = False) -> Msg | None:
    """Why free text cannot be stored, or None: control characters (line breaks and tabs in text areas are fine)."""
    if (_LINE_CONTROLS if multiline else _CONTROLS).search(value) or _BIDI_CONTROLS.search(value):
        return Msg("含有不允许的字符")
    return None
