"""Field rules shared by the sign-up form, the profile form and the API (one place per rule).

Each function returns the cleaned value or raises ValueError with a translated message.
"""

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from app.core.prefectures import RELATIONS, prefecture_code
from app.core.text import single_line

PASSWORD_MIN = 10
PASSWORD_MAX = 128
NAME_MAX = 100
PASSWORDS_DIFFER = _l("The two passwords do not match.")

_KANA = re.compile(r"^[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe\u30fb ]+$")


def clean_email(value) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValueError(_l("Enter your email address."))
    try:
        info = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(_l("Enter a valid email address.")) from None
    return info.normalized.lower()


def clean_password(value, *, email: str | None = None) -> str:
    text = str(value or "")
    if len(text) < PASSWORD_MIN:
        raise ValueError(_l("Use at least %(n)d characters.", n=PASSWORD_MIN))
    if len(text) > PASSWORD_MAX:
        raise ValueError(_l("Use at most %(n)d characters.", n=PASSWORD_MAX))
    if len(set(text)) < 4 or (email and text.lower() == email.lower()):
        raise ValueError(_l("This password is too easy to guess."))
    return text


def clean_name(value) -> str:
    if not str(value or "").strip():
        raise ValueError(_l("Enter your name."))
    try:
        return single_line(value, NAME_MAX)
    except ValueError:
        raise ValueError(_l("Enter a name of at most %(n)d characters.", n=NAME_MAX)) from None


def clean_furigana(value) -> str:
    """Hiragana or katakana (full or half width); stored as hiragana with single spaces."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    text = re.sub(r"\s+", " ", text)
    if not text:
        raise ValueError(_l("Enter the reading of your name in kana."))
    if len(text) > NAME_MAX or not _KANA.match(text):
        raise ValueError(_l("Write the reading in hiragana or katakana, e.g. やまだ はなこ."))
    # katakana -> hiragana (ヷ-ヺ have no hiragana form and stay)
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def clean_prefecture(value) -> str:
    code = prefecture_code(value)
    if code is None:
        raise ValueError(_l("Choose one of the 47 prefectures."))
    return code


def clean_relations(values) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise ValueError(_l("Choose from the listed relations."))
    codes = []
    for value in values:
        if value not in RELATIONS:
            raise ValueError(_l("Choose from the listed relations."))
        if value not in codes:
            codes.append(value)
    return codes


def clean_consent(value) -> bool:
    if value is not True:
        raise ValueError(_l("Please agree to the privacy notice to create an account."))
    return True


def clean_locale(value) -> str:
    if value not in ("ja", "en"):
        raise ValueError(_l("Choose Japanese or English."))
    return value


def clean_fields(data: dict, rules: dict) -> tuple[dict, dict]:
    """Apply rule functions to `data`; returns (cleaned, errors) with errors as field -> [msg]."""
    cleaned, errors = {}, {}
    for field, rule in rules.items():
        try:
            cleaned[field] = rule(data.get(field))
        except ValueError as exc:
            errors[field] = [exc.args[0]]
    return cleaned, errors
