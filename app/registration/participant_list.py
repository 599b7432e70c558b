"""A series' participants as organisers see them: who the filters choose, in which order, a
page of them, and the words for their statuses. The CSV of the list is
app.registration.participants_export; adding people and emailing them, manage_services."""

import unicodedata
from dataclasses import asdict, dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, true
from sqlalchemy.orm import contains_eager, selectinload

from app.accounts.models import User
from app.core.paging import PageWindow, page_number
from app.core.prefectures import prefecture_code
from app.core.text import has_control_chars, name_matches
from app.events.models import Mode, Series
from app.extensions import db
from app.registration import capacity
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus

SEARCH_MAX = 100


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
    query = participants_query(series, filters, sort).offset(offset or None).limit(limit)
    return db.session.scalars(query).all()


def participants_query(series: Series, filters: Filters, sort: str = DEFAULT_SORT):
    """The query of `participants()`: registrations with their people (one row each), their
    relations and places loaded by one more query each (a batch each, read with yield_per)."""
    query = (
        select(Registration)
        .join(Registration.user)
        .options(
            contains_eager(Registration.user).selectinload(User.relation_rows),
            selectinload(Registration.places),
        )
        .order_by(*_order(read_sort(sort)))
    )
    return _matching(query, series, filters)


def participant_count(series: Series, filters: Filters) -> int:
    """How many people `filters` choose, in one query (the CSV's audit record counts them
    before the file streams)."""
    query = select(func.count()).select_from(Registration).join(Registration.user)
    return db.session.scalar(_matching(query, series, filters))


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
