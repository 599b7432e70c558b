"""Organiser work on a series' participants: the filtered list and its CSV, adding a person by
hand (phone sign-ups), and emailing a filtered group.

Places change only through registration.services; this module reads them and calls it.
"""

import csv
import io
import logging
import secrets
import smtplib
import unicodedata
from dataclasses import asdict, dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select, true
from sqlalchemy.orm import contains_eager, selectinload

from app.accounts import validation as v
from app.accounts.models import User
from app.audit.services import record
from app.core.errors import AlreadyRegistered, KakawariError, ValidationFailed
from app.core.paging import PageWindow, page_number
from app.core.prefectures import RELATIONS, prefecture_code, prefecture_name
from app.core.text import has_control_chars, name_matches, single_line
from app.core.timefmt import to_local
from app.events.models import Mode, Series
from app.extensions import db
from app.mail import send_mail
from app.registration import capacity, invitations
from app.registration import services as reg
from app.registration.models import (
    MessageLog,
    Place,
    PlaceStatus,
    Registration,
    RegistrationStatus,
)

log = logging.getLogger("kakawari.manage")

#: addresses of people added without one; .invalid is reserved and never delivered (RFC 2606)
NO_EMAIL_DOMAIN = "no-email.invalid"
SEARCH_MAX = 100
MESSAGE_MAX = 20000

STATUS_LABELS = {
    PlaceStatus.confirmed: _l("Confirmed"),
    PlaceStatus.applied: _l("Applied (lottery)"),
    PlaceStatus.waitlisted: _l("Waitlisted"),
    PlaceStatus.cancelled: _l("Cancelled"),
}
SOURCE_LABELS = {"self": _l("Online form"), "manual": _l("Added by the organiser")}


def status_label(status) -> str:
    """Places and registrations share their status words."""
    return str(STATUS_LABELS[PlaceStatus(str(status))])


def mail_address(user: User) -> str | None:
    """Where mail to this person arrives: their account's address or, on a record an organiser
    made, the address the organiser typed (never that of an account with the same address);
    None when deleted or added without one."""
    if not user.is_active:
        return None
    if not user.email.endswith(".invalid"):
        return user.email
    return user.contact_email


# --- the filtered list -------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Who a list, its CSV and a group email are about: people with a place (in `session_id`,
    in `mode`) whose status is `status`; "" means any but cancelled, "all" any at all. So
    "waitlisted" finds everyone waiting for some session, even if confirmed for others."""

    status: str = ""
    mode: str = ""
    prefecture: str = ""
    q: str = ""
    session_id: int | None = None

    @classmethod
    def read(cls, args, series: Series, session=None) -> "Filters":
        """From a query string. A value that names nothing is ignored: a filter never fails."""
        status = args.get("status", "")
        mode = args.get("mode", "")
        q = unicodedata.normalize("NFKC", str(args.get("q", "")))
        session_id = session.id if session is not None else None
        if session is None and str(args.get("session", "")).isdigit():
            wanted = int(args["session"])
            session_id = wanted if any(s.id == wanted for s in series.sessions) else None
        return cls(
            status=status if status in {"", "all", *PlaceStatus} else "",
            mode=mode if mode in set(Mode) else "",
            prefecture=prefecture_code(args.get("prefecture") or None) or "",
            q="" if has_control_chars(q) else " ".join(q.split())[:SEARCH_MAX],
            session_id=session_id,
        )

    def as_dict(self) -> dict:
        """The filters that are set (recorded with a group email)."""
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


#: the address the list shows (the typed one, on a record an organiser made)
_email_shown = func.coalesce(User.contact_email, User.email)


def _status_is(column, status: str):
    if status == "":
        return column != PlaceStatus.cancelled.value
    if status == "all":
        return true()
    return column == status


def _matching(query, series: Series, filters: Filters):
    """`query` (over Registration joined with its User) narrowed to the series and filters."""
    query = query.where(Registration.series_id == series.id)
    place = select(Place.id).where(
        Place.registration_id == Registration.id, _status_is(Place.status, filters.status)
    )
    if filters.session_id:
        place = place.where(Place.session_id == filters.session_id)
    if filters.mode:
        place = place.where(Place.mode == filters.mode)
    if filters.session_id or filters.mode or filters.status != "all":
        query = query.where(place.exists())
    if filters.prefecture:
        query = query.where(User.prefecture == filters.prefecture)
    if filters.q:
        query = query.where(name_matches(User.name, User.furigana, _email_shown, filters.q))
    return query


#: the orders the list offers ("-" before a key reverses it); ties by furigana, then person
SORTS = {
    "furigana": (User.furigana,),
    "prefecture": (User.prefecture, User.furigana),
    "registered": (Registration.created_at,),
}
DEFAULT_SORT = "furigana"


def read_sort(value) -> str:
    """A sort key from a query string: a key of SORTS, maybe with "-"; anything else is the
    default order (a sort never fails)."""
    text = str(value or "")
    return text if text.lstrip("-") in SORTS and text.count("-") <= 1 else DEFAULT_SORT


def _order(sort: str) -> list:
    descending = sort.startswith("-")
    columns = [*SORTS[sort.lstrip("-")], User.furigana, User.id]
    return [c.desc() if descending else c for c in columns]


def participants(
    series: Series,
    filters: Filters,
    *,
    offset: int = 0,
    limit: int | None = None,
    sort: str = DEFAULT_SORT,
) -> list[Registration]:
    """The series' registrations matching `filters`, in the order `sort` (by furigana unless
    told), all or the slice `offset`/`limit`, in three queries whatever their number:
    registrations with people, their places, their relations."""
    query = (
        select(Registration)
        .join(Registration.user)
        .options(
            contains_eager(Registration.user).selectinload(User.relation_rows),
            selectinload(Registration.places),
        )
        .order_by(*_order(read_sort(sort)))
    )
    query = _matching(query, series, filters).offset(offset or None).limit(limit)
    return db.session.scalars(query).unique().all()


def _reachable_condition():
    """SQL for mail_address() is not None."""
    return User.deleted_at.is_(None) & (
        ~User.email.endswith(".invalid") | User.contact_email.is_not(None)
    )


@dataclass(frozen=True)
class ParticipantPage(PageWindow):
    registrations: list[Registration] = field(default_factory=list)
    #: of the people matching, those an email reaches (the message form sends to all pages)
    reachable: int = 0


#: people per page of the participant list (the CSV and the message take everyone matching)
PER_PAGE = 100


def participant_page(
    series: Series,
    filters: Filters,
    page: int = 1,
    per_page: int = PER_PAGE,
    sort: str = DEFAULT_SORT,
) -> ParticipantPage:
    """One page of the list: the counts in one query, then the page in three, whatever the
    number of people. A page past the last is the last."""
    counts = select(func.count(), func.count().filter(_reachable_condition()))
    counts = _matching(counts.select_from(Registration).join(Registration.user), series, filters)
    total, reachable = db.session.execute(counts).one()
    window = PageWindow(page_number(page, total, per_page), per_page, total)
    registrations = participants(series, filters, offset=window.offset, limit=per_page, sort=sort)
    return ParticipantPage(window.number, per_page, total, registrations, reachable)


def waitlist_positions(registrations) -> dict[int, int]:
    """{place_id: position in its queue} for the waiting places, in one query."""
    return capacity.waitlist_positions([p for r in registrations for p in r.places])


def registration_counts(series: Series) -> dict[RegistrationStatus, int]:
    rows = db.session.execute(
        select(Registration.status, func.count())
        .where(Registration.series_id == series.id)
        .group_by(Registration.status)
    )
    counts = dict.fromkeys(RegistrationStatus, 0)
    counts.update({RegistrationStatus(status): n for status, n in rows})
    return counts


# --- CSV ---------------------------------------------------------------------------------------


def _cell(value) -> str:
    """Text as Excel should show it: a leading = + - @ would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _answer(value) -> str:
    return " / ".join(value) if isinstance(value, list) else str(value or "")


def participants_csv(series: Series, registrations: list[Registration]) -> bytes:
    """The list as CSV for Excel: UTF-8 with a BOM (or Excel misreads Japanese), a row a
    person, per session how they attend and their status, a column per question."""
    positions = waitlist_positions(registrations)
    header = [
        _("Name"),
        _("Furigana"),
        _("Email"),
        _("Prefecture"),
        _("Relations"),
        _("Status"),
        _("Registered at"),
        _("Registered by"),
    ]
    for s in series.sessions:
        header += [
            _("%(session)s: how they attend", session=s.title),
            _("%(session)s: status", session=s.title),
        ]
    header += [q.label for q in series.questions]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    for r in registrations:
        user = r.user
        row = [
            user.name,
            user.furigana,
            mail_address(user) or "",
            prefecture_name(user.prefecture),
            " / ".join(str(RELATIONS[code]) for code in user.relations),
            status_label(r.status),
            to_local(r.created_at).strftime("%Y-%m-%d %H:%M"),
            str(SOURCE_LABELS.get(r.source, r.source)),
        ]
        for s in series.sessions:
            place = r.place_for(s.id)
            if place is None:
                row += ["", ""]
                continue
            status = status_label(place.status)
            if place.id in positions:
                status += f" ({positions[place.id]})"
            row += [str(reg.mode_label(place.mode)), status]
        row += [_answer(r.answers.get(str(q.id))) for q in series.questions]
        writer.writerow([_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


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


def add_participant(
    series: Series,
    actor: User,
    person: dict,
    *,
    modes=None,
    session_ids=None,
    answers=None,
    consent=False,
) -> Registration:
    """Register someone who signed up by phone or at the desk; the organiser records that they
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
    user = _new_person(cleaned)
    try:
        registration = reg.register(
            series,
            user,
            modes=modes or {},
            session_ids=session_ids,
            answers=answers,
            consent=True,
            source="manual",
        )
    except KakawariError:
        db.session.rollback()
        if inspect(user).persistent:  # committed by the capacity lock: undo it
            db.session.delete(user)
            db.session.commit()
        raise
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
    db.session.commit()
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
    db.session.commit()  # no transaction stays open while the mail server is talked to
    failed = 0
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
    db.session.commit()
    return entry, failed


def message_history(series: Series) -> list[MessageLog]:
    return db.session.scalars(
        select(MessageLog)
        .where(MessageLog.series_id == series.id)
        .order_by(MessageLog.sent_at.desc(), MessageLog.id.desc())
        .options(selectinload(MessageLog.sender))
    ).all()
