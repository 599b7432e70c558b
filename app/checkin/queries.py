"""What the door reads: the scanner's counters and latest check-ins, the offline list, the
manual search, and the lookups of the API's routes. Reads only."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import and_, bindparam, false, func, or_, select, true
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from app.accounts.models import User
from app.checkin.models import CheckIn, Ticket
from app.core.errors import NotFound
from app.core.secrets import hash_secret
from app.core.text import name_matches
from app.events.models import Mode, Series, Session, SessionVenue
from app.extensions import db
from app.orgs.models import Membership
from app.registration.models import Place, PlaceStatus, Registration

#: how many check-ins the scanner's list of the latest shows
RECENT_CHECKINS = 20
#: ids are 32-bit: a larger one is simply not there (SQLite would overflow)
MAX_ID = 2**31 - 1


def known_id(value: int) -> int:
    """The id, or NotFound for one larger than any row can have."""
    if value > MAX_ID:
        raise NotFound()
    return value


def session_with_series(session_id: int) -> Session:
    """The session, its series loaded with it (the series' org decides access: one query)."""
    session = db.session.get(Session, known_id(session_id), options=[joinedload(Session.series)])
    if session is None:
        raise NotFound()
    return session


@cache
def _session_with_membership():
    """Built once (bound parameters): a statement is costlier to build than to run."""
    return (
        select(Session, Membership)
        .join(Session.series)
        .join(Series.org)
        .outerjoin(
            Membership,
            and_(Membership.org_id == Series.org_id, Membership.user_id == bindparam("user_id")),
        )
        .where(Session.id == bindparam("session_id"))
        .options(contains_eager(Session.series).contains_eager(Series.org))
    )


def session_with_membership(session_id: int, user: User) -> tuple[Session, Membership | None]:
    """The session, its series and organisation, and `user`'s membership of that organisation
    (None: not a member), in one query: what deciding access to a session's door needs."""
    params = {"session_id": known_id(session_id), "user_id": user.id}
    row = db.session.execute(_session_with_membership(), params).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def get_checkin(checkin_id: int, org_id: int | None = None) -> CheckIn:
    checkin = db.session.get(CheckIn, known_id(checkin_id))
    if checkin is None or (org_id is not None and checkin.session.series.org_id != org_id):
        raise NotFound()
    return checkin


def registration_with_places(registration_id: int) -> Registration | None:
    """The registration with its places and their sessions (what its ticket shows), or None."""
    return db.session.get(
        Registration,
        known_id(registration_id),
        options=[selectinload(Registration.places).selectinload(Place.session)],
    )


def registration_in_series(session: Session, registration_id: int) -> Registration:
    """A registration of the session's series (checked in by hand), else NotFound."""
    registration = db.session.get(Registration, known_id(registration_id))
    if registration is None or registration.series_id != session.series_id:
        raise NotFound()
    return registration


def _at_venue(column, session: Session, venue: SessionVenue | None):
    """Rows of `venue` (サテライト会場): each venue counts its own; None is the whole session.
    A row without a venue counts at the session's first venue (as 0020_session_venues made
    every venue place the first venue's)."""
    if venue is None:
        return true()
    if session.venues and session.venues[0].id == venue.id:
        return or_(column == venue.id, column.is_(None))
    return column == venue.id


def status(session: Session, venue: SessionVenue | None = None) -> dict:
    """Counters for the scanner at `venue`: expected there (its confirmed places), checked in
    there, and so on."""
    expected = db.session.scalar(
        select(func.count())
        .select_from(Place)
        .where(
            Place.session_id == session.id,
            Place.mode == Mode.venue,
            Place.status == PlaceStatus.confirmed,
            _at_venue(Place.venue_id, session, venue),
        )
    )
    rows = db.session.execute(
        select(
            func.count().filter(CheckIn.standing),
            func.count().filter(CheckIn.duplicate_of_id.is_not(None)),
            func.count().filter(CheckIn.mode_changed.is_(True), CheckIn.standing),
            func.count().filter(CheckIn.venue_override.is_(True), CheckIn.standing),
        ).where(
            CheckIn.session_id == session.id,
            CheckIn.undone_at.is_(None),
            _at_venue(CheckIn.venue_id, session, venue),
        )
    ).one()
    return {
        "expected": expected,
        "checked_in": rows[0],
        "duplicates": rows[1],
        "came_instead_of_online": rows[2],
        "from_other_venues": rows[3],
    }


def recent(
    session: Session, venue: SessionVenue | None = None, limit: int = RECENT_CHECKINS
) -> list[dict]:
    """The latest check-ins at `venue` not undone (standing or flagged), newest scan time
    first."""
    rows = db.session.scalars(
        select(CheckIn)
        .where(
            CheckIn.session_id == session.id,
            CheckIn.undone_at.is_(None),
            _at_venue(CheckIn.venue_id, session, venue),
        )
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())
        .limit(limit)
        .options(joinedload(CheckIn.registration).joinedload(Registration.user))
        .options(joinedload(CheckIn.staff))
    ).all()
    return [
        {
            "id": c.id,
            "registration_id": c.registration_id,
            "name": c.registration.user.name,
            "furigana": c.registration.user.furigana,
            "checked_in_at": c.checked_in_at,
            "checked_in_by": c.staff.name if c.staff else None,
            "source": c.source,
            "mode_changed": c.mode_changed,
            "duplicate": c.duplicate_of_id is not None,
            "venue_override": c.venue_override,
        }
        for c in rows
    ]


def _for_venue(venue: SessionVenue | None):
    """Whose names a scanner at `venue` holds: the venue's own people and those registered
    online (who may come to any venue), not another venue's."""
    if venue is None:
        return True
    return or_(Place.mode == Mode.online, Place.venue_id.is_(None), Place.venue_id == venue.id)


def offline_list(session: Session, venue: SessionVenue | None = None) -> list[dict]:
    """What a scanner at `venue` needs to decide offline: its own people and those registered
    online; no secrets (only their SHA-256), no emails."""
    rows = db.session.execute(
        select(
            Ticket.secret,
            Registration.id,
            User.name,
            User.furigana,
            Place.mode,
            Place.status,
            CheckIn.id,
        )
        .join(Registration, Registration.id == Ticket.registration_id)
        .join(User, User.id == Registration.user_id)
        .join(Place, (Place.registration_id == Registration.id) & (Place.session_id == session.id))
        .outerjoin(
            CheckIn,
            (CheckIn.registration_id == Registration.id)
            & (CheckIn.session_id == session.id)
            & CheckIn.standing,
        )
        .where(Ticket.revoked_at.is_(None), _for_venue(venue))
    ).all()
    return [
        {
            "hash": hash_secret(secret),
            "registration_id": reg_id,
            "name": name,
            "furigana": furigana,
            "mode": Mode(mode).value,
            "status": PlaceStatus(st).value,
            "checked_in": checkin_id is not None,
        }
        for secret, reg_id, name, furigana, mode, st, checkin_id in rows
    ]


def elsewhere_list(session: Session, venue: SessionVenue) -> list[dict]:
    """Confirmed tickets for the session's other venues, as their hash and venue only: offline,
    the scanner names the venue a ticket is for without holding anyone's name."""
    rows = db.session.execute(
        select(Ticket.secret, Place.venue_id)
        .join(Place, Place.registration_id == Ticket.registration_id)
        .where(
            Place.session_id == session.id,
            Place.mode == Mode.venue,
            Place.status == PlaceStatus.confirmed,
            Place.venue_id.is_not(None),
            Place.venue_id != venue.id,
            Ticket.revoked_at.is_(None),
        )
    ).all()
    return [{"hash": hash_secret(secret), "venue_id": venue_id} for secret, venue_id in rows]


def search(session: Session, query: str, limit: int = 20) -> list[Registration]:
    """People with a place in this session whose name or reading contains the query (from one
    character), or whose email is the query as a whole (case aside): staff at the door find
    people, they do not browse addresses."""
    q = " ".join(str(query or "").split())
    if not q or "\x00" in q:
        return []
    return (
        db.session.scalars(
            select(Registration)
            .join(
                Place, (Place.registration_id == Registration.id) & (Place.session_id == session.id)
            )
            .join(User, User.id == Registration.user_id)
            .where(
                or_(
                    name_matches(User.name, User.furigana, None, q),
                    func.lower(User.email) == q.replace(" ", "").lower(),
                )
            )
            .order_by(User.furigana)
            .limit(limit)
            .options(selectinload(Registration.places), joinedload(Registration.user))
        )
        .unique()
        .all()
    )


def standing_by_registration(session: Session, registration_ids: list[int]) -> dict[int, int]:
    """registration id -> its standing check-in's id at the session, for those checked in."""
    rows = db.session.execute(
        select(CheckIn.registration_id, CheckIn.id).where(
            CheckIn.session_id == session.id,
            CheckIn.registration_id.in_(registration_ids),
            CheckIn.standing,
        )
    )
    return dict(rows.all())


def search_people(session: Session, query: str) -> list[dict]:
    """The manual search's answer: each person found, their place and standing check-in."""
    found = search(session, query)
    standing = standing_by_registration(session, [r.id for r in found])
    people = []
    for r in found:
        place = r.place_for(session.id)
        venue = session.venue(place.venue_id) if place.mode is Mode.venue else None
        people.append(
            {
                "id": r.id,
                "name": r.user.name,
                "furigana": r.user.furigana,
                "mode": place.mode.value,
                "status": place.status.value,
                "checked_in": r.id in standing,
                "checkin_id": standing.get(r.id),
                "venue": venue.name if venue is not None else None,
                "venue_id": venue.id if venue is not None else None,
            }
        )
    return people


# --- what a scan reads -------------------------------------------------------------------------


@dataclass
class ScanFacts:
    """What deciding a scan reads, in one round trip (scan_facts)."""

    #: the person the ticket (or the manual check-in) names; None: no such ticket
    registration: Registration | None = None
    place: Place | None = None
    #: their standing check-in at the session, its staff loaded
    standing: CheckIn | None = None
    ticket_revoked: bool = False
    #: the check-in this nonce already made at this session (id, its registration's id)
    nonce_checkin_id: int | None = None
    nonce_registration_id: int | None = None
    #: the nonce made a check-in at another session of the organisation
    nonce_elsewhere: bool = False


def _nonce_columns() -> list:
    """The nonce's check-in at this session (id, registration) and whether it made one at
    another session of this organisation (a replayed key). A nonce means nothing anywhere
    else, and other organisations' nonces tell nothing here."""
    here = aliased(CheckIn, name="by_nonce")
    at_this_session = (here.nonce == bindparam("nonce"), here.session_id == bindparam("session_id"))
    elsewhere = aliased(CheckIn, name="elsewhere")
    used_elsewhere = (
        select(elsewhere.id)
        .join(Session, Session.id == elsewhere.session_id)
        .join(Series, Series.id == Session.series_id)
        .where(
            elsewhere.nonce == bindparam("nonce"),
            elsewhere.session_id != bindparam("session_id"),
            Series.org_id == bindparam("org_id"),
        )
        .exists()
    )
    return [
        select(here.id).where(*at_this_session).scalar_subquery().correlate(None),
        select(here.registration_id).where(*at_this_session).scalar_subquery().correlate(None),
        used_elsewhere.correlate(None),
    ]


@cache
def _nonce_statement():
    return select(*_nonce_columns())


@cache
def _person_statement(by_ticket: bool):
    """Built once: the person by ticket secret (or by registration id), their place and standing
    check-in at the session (its staff loaded), whether the ticket is revoked, the nonce's past."""
    standing = aliased(CheckIn, name="standing")
    staff = aliased(User, name="staff")
    if by_ticket:
        query = select(
            Registration, Place, standing, *_nonce_columns(), Ticket.revoked_at.is_not(None)
        )
        query = query.select_from(Ticket).join(
            Registration, Registration.id == Ticket.registration_id
        )
        query = query.where(Ticket.secret == bindparam("secret"))
    else:
        query = select(Registration, Place, standing, *_nonce_columns(), false())
        query = query.select_from(Registration).where(
            Registration.id == bindparam("registration_id")
        )
    session_id = bindparam("session_id")
    return (
        query.join(Registration.user)
        .outerjoin(
            Place, and_(Place.registration_id == Registration.id, Place.session_id == session_id)
        )
        .outerjoin(
            standing,
            and_(
                standing.registration_id == Registration.id,
                standing.session_id == session_id,
                standing.standing,
            ),
        )
        .outerjoin(staff, staff.id == standing.staff_id)
        .options(contains_eager(Registration.user), contains_eager(standing.staff.of_type(staff)))
    )


def scan_facts(
    session: Session, nonce: str, *, secret: str | None, registration: Registration | None
) -> ScanFacts:
    """The person (by ticket secret or registration), their place in the session, their
    standing check-in and what the nonce did before: one statement. A secret that names no
    ticket (or none given) reads only the nonce's past."""
    params = {"nonce": nonce, "session_id": session.id, "org_id": session.series.org_id}
    if registration is not None or secret is not None:
        if registration is not None:
            statement, params["registration_id"] = _person_statement(False), registration.id
        else:
            statement, params["secret"] = _person_statement(True), secret
        row = db.session.execute(statement, params).first()
        if row is not None:
            found, place, standing, here_id, here_registration, elsewhere, revoked = row
            return ScanFacts(
                found, place, standing, bool(revoked), here_id, here_registration, bool(elsewhere)
            )
    here_id, here_registration, elsewhere = db.session.execute(_nonce_statement(), params).one()
    return ScanFacts(
        nonce_checkin_id=here_id,
        nonce_registration_id=here_registration,
        nonce_elsewhere=bool(elsewhere),
    )
