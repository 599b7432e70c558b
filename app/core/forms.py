"""Form helpers shared by every area."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass  # the service decides which values are allowed, with its own message


class ActionForm(FlaskForm):
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
