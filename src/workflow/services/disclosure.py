"""Who may read which field a step set: the field property ``visible_to``, HQ opinions internal by default.

``visible_to`` lists organisation kinds (``hq_unit``, ``bureau``, ``local_gov``, ``system``) and role
names, comma-separated; ``*`` is everyone. A field without it is internal (``INTERNAL``) when every
candidate group of its task is an HQ role, except ``decision``, which the zone's status shows anyway;
any other field is readable by whoever may see the zone. Rows read through :class:`Reader` lose the
fields their reader may not see: history rows (their data, comment and decision) and records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workflow.engine import Model
from workflow.models import ProcessInstance, User
from workflow.modelxml import Element, Field
from workflow.roles import HQ_ROLES
from workflow.services import deploy

EVERYONE = "*"
INTERNAL = ("hq_unit", "bureau", "system")  # the inspection administration and the system's operators
OPEN_FIELDS = frozenset({"decision"})
_HQ = frozenset(r.value for r in HQ_ROLES)


def audience(element: Element, field: Field) -> tuple[str, ...] | None:
    """Who may read the field: None for whoever may see the zone."""
    declared = dict(field.properties).get("visible_to")
    if declared is not None:
        names = tuple(n.strip() for n in declared.split(",") if n.strip())
        return None if EVERYONE in names else names
    if field.id not in OPEN_FIELDS and element.groups and set(element.groups) <= _HQ:
        return INTERNAL
    return None


def may_read(user: User, readers: tuple[str, ...] | None) -> bool:
    if readers is None:
        return True
    return user.organisation.kind.value in readers or any(r.value in readers for r in user.roles)


def hidden(user: User, element: Element | None) -> frozenset[str]:
    """The fields of the element's form that ``user`` may not read."""
    if element is None:
        return frozenset()
    return frozenset(f.id for f in element.form if not may_read(user, audience(element, f)))


class Shown:
    """A history row or record as one reader sees it: hidden fields left out, comment and decision blank."""

    def __init__(self, row: Any, hidden: frozenset[str]) -> None:
        self._row, self._hidden = row, hidden

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)

    @property
    def data(self) -> dict[str, Any]:
        return {k: v for k, v in (self._row.data or {}).items() if k not in self._hidden}

    @property
    def comment(self) -> str:
        return "" if "comment" in self._hidden else self._row.comment

    @property
    def decision(self) -> str | None:
        return None if "decision" in self._hidden else self._row.decision


class Reader:
    """Reads rows of a zone's processes for one user, each through the form of the step that wrote it."""

    def __init__(self, user: User, instances: Iterable[ProcessInstance]) -> None:
        self.user = user
        self._instances = {i.id: i for i in instances}
        self._models: dict[int, Model] = {}
        self._hidden: dict[tuple[int, str], frozenset[str]] = {}

    def hidden(self, instance_id: int | None, bpmn_id: str | None) -> frozenset[str]:
        key = (instance_id or 0, bpmn_id or "")
        if key not in self._hidden:
            instance = self._instances.get(key[0])
            if instance is not None and key[0] not in self._models:
                self._models[key[0]] = deploy.model_for(instance.process_version)
            model = self._models.get(key[0])
            self._hidden[key] = hidden(self.user, model.elements.get(key[1]) if model else None)
        return self._hidden[key]

    def row(self, row: Any) -> Any:
        """The row itself when nothing of it is hidden from the reader, else a :class:`Shown` of it."""
        hide = self.hidden(row.instance_id, row.bpmn_id)
        return Shown(row, hide) if hide else row

    def rows(self, rows: Iterable[Any]) -> list[Any]:
        return [self.row(r) for r in rows]


def fields(user: User, element: Element | None, shown: Iterable[Field]) -> tuple[Field, ...]:
    """The fields of ``shown`` the user may read, judged by the element that set them."""
    hide = hidden(user, element)
    return tuple(f for f in shown if f.id not in hide)


def readable(user: User, element: Element | None, data: Mapping[str, Any]) -> dict[str, Any]:
    hide = hidden(user, element)
    return {k: v for k, v in data.items() if k not in hide}
