"""Account forms. They only collect input; app.accounts.validation decides what is valid."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField

from app.accounts import scopes
from app.core.forms import AppForm, MultiCheckboxField, choices
from app.core.prefectures import prefecture_choices, relation_choices

LANGUAGE_CHOICES = choices([("ja", "日本語"), ("en", "English")])


# Fields are listed (and an error summary lists them) in the order they are created: the
# groups a page shows first are defined first.


class _Credentials:
    email = EmailField(_l("Email address"), render_kw={"autocomplete": "email"})
    password = PasswordField(
        _l("Password"),
        description=_l("At least 10 characters."),
        render_kw={"autocomplete": "new-password"},
    )


class _CurrentPassword:
    current_password = PasswordField(
        _l("Current password"), render_kw={"autocomplete": "current-password"}
    )


class _PersonFields:
    name = StringField(_l("Name (氏名)"), render_kw={"autocomplete": "name", "maxlength": 100})
    furigana = StringField(
        _l("Reading in kana (ふりがな)"),
        description=_l("Hiragana or katakana, e.g. やまだ はなこ"),
        render_kw={"maxlength": 100},
    )
    prefecture = SelectField(_l("Prefecture you live in"), choices=[], validate_choice=False)
    relations = MultiCheckboxField(
        _l("How you relate to regions"),
        description=_l("Choose any that apply."),
        choices=[],
    )

    def _fill_choices(self):
        self.prefecture.choices = choices([("", _l("Choose…")), *prefecture_choices()])
        self.relations.choices = choices(relation_choices())


class SignupForm(_Credentials, _PersonFields, AppForm):
    consent = BooleanField(_l("I agree to the privacy notice"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fill_choices()


class ProfileForm(_PersonFields, AppForm):
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fill_choices()


class LoginForm(AppForm):
    email = EmailField(_l("Email address"), render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me logged in on this device"))


class _NewPasswordFields:
    password = PasswordField(
        _l("New password"),
        description=_l("At least 10 characters."),
        render_kw={"autocomplete": "new-password"},
    )
    #: compared with the password by the service, with every other field's check
    password_confirm = PasswordField(
        _l("New password again"), render_kw={"autocomplete": "new-password"}
    )


class ChangePasswordForm(_CurrentPassword, _NewPasswordFields, AppForm):
    pass


class ResetPasswordForm(_NewPasswordFields, AppForm):
    pass


class ForgotPasswordForm(AppForm):
    email = EmailField(_l("Email address"), render_kw={"autocomplete": "email"})


class DeleteAccountForm(AppForm):
    password = PasswordField(_l("Password"), render_kw={"autocomplete": "current-password"})


class TokenForm(AppForm):
    # its own id: the profile form above has a `name` (氏名) too
    name = StringField(
        _l("Token name"),
        id="token-name",
        description=_l("What the token is for, e.g. 受付用スクリプト"),
        render_kw={"maxlength": 100},
    )
    scope = SelectField(
        _l("What it may do"),
        choices=choices(scopes.SCOPES.items()),
        default=scopes.ORGANISER,
    )
    expires_in_days = SelectField(
        _l("Valid for"),
        choices=choices((str(d), _l("%(days)d days", days=d)) for d in scopes.EXPIRY_CHOICES_DAYS),
        default=str(scopes.DEFAULT_EXPIRY_DAYS),
    )


class LocaleForm(AppForm):
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
