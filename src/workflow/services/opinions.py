"""The opinions a consolidating task weighs (its ``opinions`` property), their tally, the confirmation rule.

A consolidation names the tasks whose opinions it weighs (``opinions``). With ``confirm_decision``,
``confirm_against`` and ``confirm_field`` it asks for a reason in ``confirm_field`` before the
decision ``confirm_decision`` is taken while any of those opinions said ``confirm_against``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from workflow import forms, store
from workflow.engine import Model
from workflow.errors import InvalidForm, Msg, Text
from workflow.models import Event, HumanTask
from workflow.modelxml import Element, Field

DECISION = "decision"


@dataclass(frozen=True)
class Opinion:
    """One unit's opinion: the task that gave it and the history row that kept it."""

    element: Element
    event: Event

    @property
    def decision(self) -> str:
        return str(self.event.data.get(DECISION) or "")

    def decision_label(self, lang: str = "zh") -> str:
        field = next((f for f in self.element.form if f.id == DECISION), None)
        return field.option_label(self.decision, lang) if field else self.decision

    @property
    def conditions(self) -> str:
        return str(self.event.data.get("conditions") or "")


@dataclass(frozen=True)
class Tally:
    """How many opinions took each decision, in the order of the decision's options."""

    decision: str
    label: str
    label_en: str
    count: int

    def text(self, lang: str = "zh") -> str:
        return (self.label_en or self.label) if lang == "en" else self.label


def names(element: Element) -> list[str]:
    return [n.strip() for n in element.prop("opinions").split(",") if n.strip()]


def of_task(session: Session, task: HumanTask, model: Model, element: Element, people: bool = True) -> list[Opinion]:
    """The newest opinion of each task the element's ``opinions`` names, in that order (given ones only)."""
    wanted = [n for n in names(element) if n in model.elements]
    steps = store.latest_steps(session, task.instance_id, wanted, people) if wanted else {}
    return [Opinion(model.element(n), steps[n]) for n in wanted if n in steps]


def tally(found: Sequence[Opinion]) -> list[Tally]:
    """Counts per decision; the options come from the first opinion's form."""
    field: Field | None = next((f for o in found for f in o.element.form if f.id == DECISION), None)
    if field is None:
        return []
    return [Tally(o.id, o.label, o.label_en, sum(1 for x in found if x.decision == o.id)) for o in field.options]


def problems(element: Element, found: Sequence[Opinion], data: Mapping[str, Any]) -> dict[str, Msg]:
    """``confirm_decision`` against a ``confirm_against`` opinion without a reason in ``confirm_field``."""
    decision, against, reason = (element.prop(p) for p in ("confirm_decision", "confirm_against", "confirm_field"))
    if not (decision and against and reason) or str(data.get(DECISION)) != decision:
        return {}
    dissent = [o for o in found if o.decision == against]
    if not dissent or str(data.get(reason) or "").strip():
        return {}
    units = "、".join(o.element.label("zh") for o in dissent)
    units_en = ", ".join(o.element.label("en") for o in dissent)
    return {reason: Msg("%(units)s 的意见为不通过；确认通过请填写理由", units=Text(units, units_en))}


def clean(element: Element, found: Sequence[Opinion], raw: Mapping[str, Any], strict: bool = False) -> dict[str, Any]:
    """The form's clean data (:func:`workflow.forms.clean`), refused with the confirmation rule's message too."""
    try:
        data = forms.clean(element.form, raw, strict=strict)
    except InvalidForm as exc:
        exc.fields.update({k: v for k, v in problems(element, found, raw).items() if k not in exc.fields})
        raise
    found_problems = problems(element, found, data)
    if found_problems:
        raise InvalidForm(Msg("表单有误，请按提示修改"), dict(found_problems))
    return data
