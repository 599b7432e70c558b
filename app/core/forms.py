"""Form helpers shared by every area."""

from dataclasses import dataclass

from flask import g
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.text import UNSTORABLE_MESSAGE, unstorable


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass  # the service decides which values are allowed, with its own message


class Needed:
    """Marks a field as needed: 「必須」 in its label or legend (templates/_forms.html). It checks
    nothing itself: the service decides, with every other field, in one round."""

    field_flags = {"needed": True}

    def __call__(self, form, field):
        pass


@dataclass
class SummaryItem:
    """One line of a form's error summary: the field's label, its message, and the id of the
    input its link focuses (a group's first option)."""

    target: str
    label: str
    message: str


GROUPS = ("RadioField", "MultiCheckboxField")


class AppForm(FlaskForm):
    """The base of every form of the app: text holding control characters (other than tab and
    line breaks) is refused beside its field before any other check or service sees it, and the
    page answering such a form is a 422 (see `refused_input_status`). `error_summary()` lists
    the fields that need attention, for the summary at the top (templates/_forms.html)."""

    def error_summary(self) -> list[SummaryItem]:
        items = []
        for field in _leaf_fields(self):
            if not field.errors or field.type in ("CSRFTokenField", "HiddenField"):
                continue
            target = f"{field.id}-0" if field.type in GROUPS else field.id
            label = field.label.text if field.label else field.name
            message = " ".join(str(e) for e in field.errors)
            items.append(SummaryItem(target, str(label), message))
        return items

    def validate(self, extra_validators=None):
        refused = [f for f in _leaf_fields(self) if any(_unstorable(v) for v in f.raw_data or ())]
        for field in refused:
            field.errors = [*field.errors, UNSTORABLE_MESSAGE]
        if refused:
            g.refused_input = True
            return False
        return super().validate(extra_validators)


def _unstorable(value) -> bool:
    return isinstance(value, str) and unstorable(value)


def _leaf_fields(form):
    for field in form:
        if isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _leaf_fields(field.entries)
        else:
            yield field


def refused_input_status(response):
    """after_request: a page that showed a form's refused text answers 422, not 200."""
    if g.get("refused_input") and response.status_code == 200:
        response.status_code = 422
    return response


class ActionForm(AppForm):
    """A form that is only a button: CSRF protection for POST actions such as "remove"."""


def apply_errors(form: FlaskForm, fields: dict) -> None:
    """Show a service's field errors beside the fields (or at the top when there is no field)."""
    for name, messages in fields.items():
        field = getattr(form, name, None)
        target = field.errors if field is not None else form.form_errors
        if isinstance(target, tuple):
            target = list(target)
            if field is not None:
                field.errors = target
        target.extend(str(m) for m in messages)
