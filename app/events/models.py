import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.types import UTCDateTime, str_enum, utcnow
from app.extensions import db
from app.orgs.models import Organization


class SeriesStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    cancelled = "cancelled"


class Scope(enum.StrEnum):
    """One registration covers every session, or people pick the sessions they come to."""

    series = "series"
    session = "session"


class Selection(enum.StrEnum):
    first_come = "first_come"  # 先着順, with an automatic waitlist
    lottery = "lottery"  # 抽選, drawn at the deadline


class Theme(enum.StrEnum):
    """What a 関係人口 programme is about (optional), for the portal's theme filter."""

    migration = "migration"  # 移住・二地域居住
    community = "community"  # 地域づくり・まちづくり
    food = "food"  # 農林水産・食
    culture = "culture"  # 観光・文化
    work = "work"  # 仕事・起業
    education = "education"  # 子育て・教育
    environment = "environment"  # 防災・環境
    other = "other"  # その他


class SessionFormat(enum.StrEnum):
    venue = "venue"
    online = "online"
    hybrid = "hybrid"


class Mode(enum.StrEnum):
    """How one participant attends one session."""

    venue = "venue"
    online = "online"


class SessionStatus(enum.StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class QuestionKind(enum.StrEnum):
    text = "text"
    single = "single"
    multiple = "multiple"


class Series(db.Model):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    #: Markdown, rendered through a sanitiser
    description: Mapped[str] = mapped_column(Text, default="")
    #: JIS code of the region's 都道府県 and the 市町村 name
    prefecture: Mapped[str | None] = mapped_column(String(2), index=True)
    municipality: Mapped[str] = mapped_column(String(100), default="")
    #: what the programme is about (None: not said)
    theme: Mapped[Theme | None] = mapped_column(str_enum(Theme, "series_theme"), index=True)
    status: Mapped[SeriesStatus] = mapped_column(
        str_enum(SeriesStatus, "series_status"), default=SeriesStatus.draft, index=True
    )
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: also the lottery deadline
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scope: Mapped[Scope] = mapped_column(str_enum(Scope, "series_scope"), default=Scope.series)
    selection: Mapped[Selection] = mapped_column(
        str_enum(Selection, "series_selection"), default=Selection.first_come
    )
    #: with first_come: whether people may wait for a place once a mode is full
    waitlist_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: completion rule: attend at least N sessions ...
    completion_min_sessions: Mapped[int | None] = mapped_column(Integer)
    #: ... where online counts when present for at least P% of the session
    online_threshold_percent: Mapped[int] = mapped_column(Integer, default=70)
    #: ... and, when set, watching a session's archive for at least this many minutes counts
    #: as attending it (app/archive); None: archive viewing never counts (the default)
    archive_counts_minutes: Mapped[int | None] = mapped_column(Integer)
    privacy_notice: Mapped[str] = mapped_column(Text, default="")
    #: venue check-in opens this many minutes before a session starts (and closes at its end)
    checkin_opens_minutes: Mapped[int] = mapped_column(Integer, default=120)
    #: the live room of an online or hybrid session opens this long before it starts ...
    room_opens_minutes: Mapped[int] = mapped_column(Integer, default=15)
    #: ... and closes this long after it ends
    room_closes_minutes: Mapped[int] = mapped_column(Integer, default=30)
    #: confirmed people get a reminder the day before and an hour before each session
    #: (app/registration/reminders.py)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: part of the programme the organisation runs for a municipality (委託元): its figures,
    #: as aggregates only, are seen by the organisation's viewers (app/programme)
    in_programme: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: lottery: when it was drawn and with which seed (so a draw can be checked afterwards)
    lottery_drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lottery_seed: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organization] = relationship()
    sessions: Mapped[list["Session"]] = relationship(
        back_populates="series", order_by="Session.starts_at", cascade="all, delete-orphan"
    )
    questions: Mapped[list["Question"]] = relationship(
        back_populates="series", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def is_published(self) -> bool:
        return self.status is SeriesStatus.published

    def __repr__(self) -> str:
        return f"<Series {self.id}>"


class Session(db.Model):
    """One dated meeting of a series (回)."""

    __tablename__ = "session"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    format: Mapped[SessionFormat] = mapped_column(str_enum(SessionFormat, "session_format"))
    #: places online; None means unlimited (venue places are per venue: SessionVenue)
    online_capacity: Mapped[int | None] = mapped_column(Integer)
    #: YouTube/Zoom/Jitsi URL: only ever shown inside the live room, never publicly
    stream_url: Mapped[str] = mapped_column(String(500), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus, "session_status"), default=SessionStatus.scheduled
    )
    #: iCalendar identity: the UID never changes, SEQUENCE grows with every change people see
    ical_uid: Mapped[str] = mapped_column(String(80), default=lambda: f"{uuid.uuid4()}@kakawari")
    ical_sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: bumped whenever places of this session change hands; its row is the capacity lock
    seats_version: Mapped[int] = mapped_column(Integer, default=0)

    series: Mapped[Series] = relationship(back_populates="sessions")
    #: where a venue or hybrid session is held: one venue, or several (サテライト会場), each with
    #: its own places and waitlist; loaded with the session (lists show them)
    venues: Mapped[list["SessionVenue"]] = relationship(
        back_populates="session",
        order_by="[SessionVenue.position, SessionVenue.id]",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def modes(self) -> tuple["Mode", ...]:
        return {
            SessionFormat.venue: (Mode.venue,),
            SessionFormat.online: (Mode.online,),
            SessionFormat.hybrid: (Mode.venue, Mode.online),
        }[self.format]

    def capacity(self, mode: "Mode", venue_id: int | None = None) -> int | None:
        """Places for `mode` (at one venue, given `venue_id`; at all its venues together
        without); None is unlimited. 0 when the session does not offer the mode (or venue)."""
        mode = Mode(mode)
        if mode not in self.modes:
            return 0
        if mode is Mode.online:
            return self.online_capacity
        if venue_id is not None:
            venue = self.venue(venue_id)
            return 0 if venue is None else venue.capacity
        return self.venue_capacity

    def venue(self, venue_id) -> "SessionVenue | None":
        """The session's venue with this id (None for another session's, or none)."""
        return next((v for v in self.venues if v.id == venue_id), None)

    @property
    def default_venue(self) -> "SessionVenue | None":
        """The venue a venue place goes to when nobody chose one: the only venue, if just one."""
        return self.venues[0] if Mode.venue in self.modes and len(self.venues) == 1 else None

    # Read-only views over the venues, for what shows a session in one line: with one venue
    # they are that venue's, with several the names are joined and the capacities summed.
    @property
    def venue_name(self) -> str:
        return " / ".join(v.name for v in self.venues if v.name)

    @property
    def venue_address(self) -> str:
        return self.venues[0].address if len(self.venues) == 1 else ""

    @property
    def map_url(self) -> str:
        return self.venues[0].map_url if len(self.venues) == 1 else ""

    @property
    def venue_capacity(self) -> int | None:
        """Places at all venues together: None (unlimited) when one venue is unlimited, or when
        the session has no venue."""
        capacities = [v.capacity for v in self.venues]
        if not capacities or None in capacities:
            return None
        return sum(capacities)

    @property
    def is_cancelled(self) -> bool:
        return self.status is SessionStatus.cancelled

    def __repr__(self) -> str:
        return f"<Session {self.id}>"


class SessionVenue(db.Model):
    """One place a session is held at (会場): its address, map and places, with its own
    waitlist. A venue or hybrid session has one or more; a second or third is a サテライト会場
    (e.g. 東京会場 and 松江会場 at once). Venue places (Place.venue_id) are counted per venue."""

    __tablename__ = "session_venue"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), index=True
    )
    #: the order venues are shown in (the first is the main venue)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    map_url: Mapped[str] = mapped_column(String(500), default="")
    #: places at this venue; None means unlimited
    capacity: Mapped[int | None] = mapped_column(Integer)

    session: Mapped[Session] = relationship(back_populates="venues")

    def __repr__(self) -> str:
        return f"<SessionVenue {self.id}>"


class Question(db.Model):
    """A custom question on the registration form."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind, "question_kind"))
    label: Mapped[str] = mapped_column(String(300))
    #: choices for single/multiple
    options: Mapped[list] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: shown to venue staff at check-in (e.g. dietary needs)
    show_at_checkin: Mapped[bool] = mapped_column(Boolean, default=False)

    series: Mapped[Series] = relationship(back_populates="questions")
