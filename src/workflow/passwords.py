"""The password policy for accounts administrators and operators create: length, common passwords, the user name.

The list of common passwords ships with the package (``data/common_passwords.txt``). A password is refused when
it is on the list, or is a listed word with digits or symbols around it (``Password2024!``), written in
look-alike characters (``p@ssw0rd``), a repetition (``abcabcabcabc``), a run along the keyboard or the alphabet,
or the user name itself.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from workflow.errors import Msg

MIN_LENGTH = 12
MAX_LENGTH = 256
_LOOKALIKES = str.maketrans("@4310$5!7|+", "aaeiossitlt")
_EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")
_RUNS = ("0123456789012345678901234567890", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
         "qwertyuiopasdfghjklzxcvbnmqwertyuiop", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
         "qazwsxedcrfvtgbyhnujmikolp", "!@#$%^&*()_+")


@cache
def common() -> frozenset[str]:
    """The shipped list, lower case."""
    text = resources.files("workflow").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("# "))


def _forms(password: str) -> set[str]:
    """The password and what remains once digits and symbols at either end are dropped, also with look-alikes read."""
    folded = password.casefold()
    forms = {folded, _EDGES.sub("", folded)}
    return forms | {_EDGES.sub("", f.translate(_LOOKALIKES)) for f in list(forms)} | {folded.translate(_LOOKALIKES)}


def _is_run(text: str) -> bool:
    return any(text in run or text in run[::-1] for run in _RUNS)


def problem(password: str, username: str = "") -> Msg | None:
    """Why ``password`` is refused for the account ``username``, or None."""
    if len(password) < MIN_LENGTH:
        return Msg("密码至少 %(n)s 位", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return Msg("密码最多 %(n)s 位", n=MAX_LENGTH)
    forms = _forms(password) - {""}
    name = username.casefold()
    if name and (name in forms or name.translate(_LOOKALIKES) in forms):
        return Msg("密码不能与用户名相同")
    folded = password.casefold()
    if forms & common() or re.fullmatch(r"(.+?)\1+", folded) or _is_run(folded):
        return Msg("这个密码太常见或太容易猜到，请换一个更长、不常见的密码")
    return None
