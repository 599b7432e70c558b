"""Organiser work on a series' participants: adding a person by hand (phone sign-ups) and
emailing a filtered group. The list itself is app.registration.participant_list, its CSV
app.registration.participants_export (their names are importable from here too).

Places change only through registration.services; this module reads them and calls it.
"""

import logging
import secrets
import smtplib

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts import validation as v
from app.accounts.models import User
from app.audit.services import record
from app.core.errors import AlreadyRegistered, ValidationFailed
from app.core.text import single_line
from app.events.models import Series
from app.extensions import db
from app.mail import send_mail
from app.registration import invitations
from app.registration import services as reg
from app.registration.models import MessageLog, Registration, RegistrationStatus
from app.registration.participant_list import (
    DEFAULT_SORT,
    PER_PAGE,
    SORTS,
    STATUS_LABELS,
    Filters,
    ParticipantPage,
    mail_address,
    participant_count,
    participant_page,
    participants,
    read_sort,
    registration_counts,
    status_label,
    waitlist_positions,
)
from app.registration.participants_export import (
    participants_csv,
    participants_csv_header,
    participants_csv_rows,
)
from app.registration.unit import joins_unit_of_work

__all__ = [
    "DEFAULT_SORT",
    "MESSAGE_MAX",
    "NO_EMAIL_DOMAIN",
    "PER_PAGE",
    "SORTS",
    "STATUS_LABELS",
    "Filters",
    "ParticipantPage",
    "add_participant",
    "email_group",
    "mail_address",
    "message_history",
    "participant_count",
    "participant_page",
    "participants",
    "participants_csv",
    "participants_csv_header",
    "participants_csv_rows",
    "read_sort",
    "registration_counts",
    "status_label",
    "waitlist_positions",
]

log = logging.getLogger("kakawari.manage")

#: addresses of people added without one; .invalid is reserved and never delivered (RFC 2606)
NO_EMAIL_DOMAIN = "no-email.invalid"
MESSAGE_MAX = 20000


# --- adding a person by hand -------------------------------------------------------------------


PERSON_RULES = {
    "name": v.clean_name,
    "furigana": v.clean_furigana,
    "prefecture": v.clean_prefecture,
    "relations": v.clean_relations,
}


def _clean_person(person: dict) -> tuple[dict, dict]:
    cleaned, errors = v.clean_fields(person, PERSON_RULES)
    cleaned["email"] = None
    if str(person.get("email") or "").strip():
        try:
            cleaned["email"] = v.clean_email(person["email"])
        except ValueError as exc:
            errors["email"] = [exc.args[0]]
    return cleaned, errors


def _new_person(cleaned: dict) -> User:
    """A record of the person as the organiser typed it, which nobody can log in to. The
    address typed is only where to write to (`contact_email`): an account with that address is
    neither looked up nor used. The person takes the record into their own account by
    confirming the link mailed there (app.registration.invitations), or with a claim code
    (app.registration.claims) when there is no address."""
    user = User(
        email=f"manual-{secrets.token_hex(8)}@{NO_EMAIL_DOMAIN}",
        contact_email=cleaned["email"],
        password_hash=None,
        name=cleaned["name"],
        furigana=cleaned["furigana"],
        prefecture=cleaned["prefecture"],
        locale="ja",
    )
    user.relations = cleaned["relations"]
    db.session.add(user)
    db.session.flush()
    return user


def _already_added(series: Series, email: str) -> bool:
    """Whether someone in this series' list (which the organiser sees) has this address."""
    same_address = (User.contact_email == email) | (
        (User.email == email) & User.deleted_at.is_(None)
    )
    found = db.session.scalar(
        select(Registration.id)
        .join(Registration.user)
        .where(
            Registration.series_id == series.id,
            Registration.status != RegistrationStatus.cancelled,
            same_address,
        )
        .limit(1)
    )
    return found is not None


@joins_unit_of_work
def add_participant(
    series: Series,
    actor: User,
    person: dict,
    *,
    modes=None,
    venues=None,
    session_ids=None,
    answers=None,
    consent=False,
) -> Registration:
    """Register someone who signed up by phone or at the desk, where the organiser chose
    (`modes`, and `venues` where a session has several); the organiser records that they
    agreed to the privacy notice (`consent`). Always a new hand-made record with what the
    organiser typed, whether or not an account has the email typed (nothing says which); with
    an email, the person is mailed a link to confirm and take it into their account. Raises
    AlreadyRegistered when someone in the series' list has that email; on any error nothing
    is kept."""
    cleaned, errors = _clean_person(person)
    if consent is not True:
        errors["consent"] = [_l("Confirm that the person agreed to the privacy notice.")]
    try:
        reg.clean_answers(series, answers)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(fields=errors)
    if cleaned["email"] and _already_added(series, cleaned["email"]):
        raise AlreadyRegistered()
    user = _new_person(cleaned)  # refused below: the edge rolls it back with the rest
    registration = reg.register(
        series,
        user,
        modes=modes or {},
        venues=venues or {},
        session_ids=session_ids,
        answers=answers,
        consent=True,
        source="manual",
    )
    if cleaned["email"]:
        invitations.send_invitation(registration)
    record(
        "registration.added_by_organiser",
        actor=actor,
        subject=user,
        org=series.org,
        series_id=series.id,
        registration_id=registration.id,
        invited=bool(cleaned["email"]),
    )
    db.session.flush()
    return registration


# --- emailing a group --------------------------------------------------------------------------


def _clean_message(subject, body) -> tuple[str, str]:
    errors = {}
    try:
        subject = single_line(subject, 200)
    except ValueError:
        errors["subject"] = [_l("Write a subject of at most %(n)d characters.", n=200)]
    body = str(body or "").replace("\r\n", "\n").strip()
    if not body or len(body) > MESSAGE_MAX or "\x00" in body:
        errors["body"] = [_l("Write a message of at most %(n)d characters.", n=MESSAGE_MAX)]
    if errors:
        raise ValidationFailed(fields=errors)
    return subject, body


@joins_unit_of_work
def email_group(
    series: Series, sender: User, filters: Filters, subject, body
) -> tuple[MessageLog, int]:
    """Email everyone the filters choose who has a real address, one message each, and log it
    (filters, text, how many it reached). Returns the log entry and how many sends failed."""
    subject, body = _clean_message(subject, body)
    addresses = [mail_address(r.user) for r in participants(series, filters)]
    addresses = [address for address in addresses if address]
    if not addresses:
        raise ValidationFailed(
            fields={"recipients": [_l("Nobody in this list has an email address.")]}
        )
    failed = 0  # the mails are queued in this unit of work: they go when the edge commits
    for address in addresses:
        try:
            send_mail(address, subject, body)
        except (smtplib.SMTPException, OSError):
            log.warning("Group email for series %s not sent to one address", series.id)
            failed += 1
    entry = MessageLog(
        series_id=series.id,
        sender_id=sender.id,
        filters=filters.as_dict(),
        subject=subject,
        body=body,
        recipient_count=len(addresses) - failed,
    )
    db.session.add(entry)
    record(
        "series.message_sent",
        actor=sender,
        org=series.org,
        series_id=series.id,
        recipients=entry.recipient_count,
        failed=failed,
    )
    db.session.flush()
    return entry, failed


def message_history(series: Series) -> list[MessageLog]:
    return db.session.scalars(
        select(MessageLog)
        .where(MessageLog.series_id == series.id)
        .order_by(MessageLog.sent_at.desc(), MessageLog.id.desc())
        .options(selectinload(MessageLog.sender))
    ).all()
