"""Invitations: someone an organiser added by hand with an email address is mailed a link to
confirm; confirming (logged in, one click) takes the hand-made record's registration, answers
and attendance into their own account, as a claim code does (claims.merge_into).

Until then the registration stays on the hand-made record with only what the organiser typed:
adding a person never looks up, uses or reveals an account with that address, and the mail and
the link are the same whether or not one exists (without an account, the person signs up on the
way). The link is signed, names the record and the address it was sent to, expires after
INVITATION_DAYS days, and stops working once used (the record is gone).
"""

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.errors import InvalidToken
from app.core.secrets import hash_secret
from app.core.urls import external_url
from app.events.models import Series
from app.extensions import db
from app.mail import send_mail
from app.registration.claims import can_have_claim_code, merge_into
from app.registration.models import Registration
from app.registration.unit import joins_unit_of_work

INVITATION_DAYS = 30


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="registration-invitation")


def _address_mark(address: str) -> str:
    # the address is not readable from the link (links end up in logs)
    return hash_secret(address)[:16]


def invitation_token(record: User) -> str:
    return _serializer().dumps({"u": record.id, "a": _address_mark(record.contact_email)})


def send_invitation(registration: Registration) -> None:
    """Queue the mail asking the person at the typed address to confirm (same words whether
    or not an account has that address)."""
    record, series = registration.user, registration.series
    link = external_url("registration.invitation", token=invitation_token(record))
    with force_locale(record.locale):
        subject = _("Please confirm your registration: %(series)s", series=series.title)
        body = _(
            "%(name)s,\n\n%(org)s registered you for %(series)s.\n\n"
            "To have this registration in your Kakawari account, open this link, log in (or "
            "create an account) and confirm (valid for %(days)d days):\n%(link)s\n\n"
            "Until you confirm, %(org)s sees only what they wrote down for you. If you did not "
            "ask for this, ignore this email.\n\n— Kakawari",
            name=record.name,
            org=series.org.name,
            series=series.title,
            days=INVITATION_DAYS,
            link=link,
        )
    send_mail(record.contact_email, subject, body)


def invited_record(token: str) -> User:
    """The hand-made record the link is for, with its registrations; InvalidToken when the
    link is forged, expired or used."""
    try:
        data = _serializer().loads(token, max_age=INVITATION_DAYS * 24 * 3600)
    except (SignatureExpired, BadSignature):
        raise InvalidToken() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise InvalidToken()
    record = db.session.get(User, data["u"])
    if (
        record is None
        or not can_have_claim_code(record)
        or not record.contact_email
        or _address_mark(record.contact_email) != data.get("a")
    ):
        raise InvalidToken()
    return record


def invited_registrations(record: User) -> list[Registration]:
    """What confirming takes over, with series and organisations (for the page)."""
    return db.session.scalars(
        select(Registration)
        .where(Registration.user_id == record.id)
        .order_by(Registration.id)
        .options(selectinload(Registration.series).selectinload(Series.org))
    ).all()


@joins_unit_of_work
def confirm(target: User, token: str) -> list[Registration]:
    """Take the invited record into `target`'s account (audited; flushes, the edge commits). Raises
    InvalidToken, or ClaimConflict naming the series `target` is already registered for."""
    record = invited_record(token)
    if record.id == target.id:
        raise InvalidToken()
    return merge_into(record, target, "registration.invitation_confirmed")
