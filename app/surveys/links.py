"""The personal survey link: signed (itsdangerous, the app's secret key, its own salt), naming
the survey and the person, expiring after LINK_DAYS. It opens the form without logging in."""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.surveys.errors import SurveyLinkInvalid

LINK_DAYS = 30


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="survey-link")


def link_token(survey_id: int, user_id: int) -> str:
    return _serializer().dumps({"s": survey_id, "u": user_id})


def read_token(token: str, max_age: int | None = None) -> tuple[int, int]:
    """(survey id, user id); SurveyLinkInvalid when forged or expired."""
    try:
        data = _serializer().loads(token, max_age=max_age or LINK_DAYS * 24 * 3600)
    except (SignatureExpired, BadSignature):
        raise SurveyLinkInvalid() from None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), int) and not isinstance(data.get(k), bool) for k in ("s", "u")
    ):
        raise SurveyLinkInvalid()
    return data["s"], data["u"]
