import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.types import UTCDateTime, str_enum, utcnow
from app.events.models import Mode, Series, Session, SessionVenue
from app.extensions import db


class PlaceStatus(enum.StrEnum):
    """A person's place in one session, in one mode."""

    confirmed = "confirmed"
    waitlisted = "waitlisted"  # キャンセル待ち, promoted in order
    applied = "applied"  # lottery not drawn yet
    cancelled = "cancelled"


class RegistrationStatus(enum.StrEnum):
    """The summary over a registration's places (most favourable first)."""

    confirmed = "confirmed"
    applied = "applied"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class Registration(db.Model):
    """A person's registration for a series (申込). Its places say which sessions and how."""

    __tablename__ = "registration"
    __table_args__ = (
        # One active registration per person per series, whatever runs at once.
        Index(
            "uq_registration_active",
            "series_id",
            "user_id",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
            sqlite_where=text("status <> 'cancelled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: summary of the places, kept up to date by services.refresh_status()
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus, "registration_status"), index=True
    )
    #: answers to the series' questions: {question_id: text or [choices]}
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the person agreed (optional, at registration) that the organisation may list them
    #: among the people with N activities in its programme in a 年度 (関わり証明, app/records)
    record_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "self" (the person registered) or "manual" (an organiser added them, e.g. by phone)
    source: Mapped[str] = mapped_column(String(10), default="self")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    series: Mapped[Series] = relationship()
    user: Mapped[User] = relationship()
    places: Mapped[list["Place"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Place.id"
    )

    def place_for(self, session_id: int) -> "Place | None":
        return next((p for p in self.places if p.session_id == session_id), None)


class Place(db.Model):
    """One registration's place in one session: the mode and whether it is confirmed."""

    __tablename__ = "place"
    __table_args__ = (
        Index("ix_place_session_mode_status", "session_id", "mode", "status"),
        Index("uq_place_registration_session", "registration_id", "session_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    mode: Mapped[Mode] = mapped_column(str_enum(Mode, "place_mode"))
    #: the venue of a venue place (one of the session's SessionVenue); None for online. Venue
    #: places are counted, and wait, per venue
    venue_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_venue.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[PlaceStatus] = mapped_column(str_enum(PlaceStatus, "place_status"))
    #: the waitlist order: lower first (insertion order, or the lottery's random order)
    queue_key: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship(back_populates="places")
    session: Mapped[Session] = relationship()
    venue: Mapped[SessionVenue | None] = relationship()

    @property
    def at_venue(self) -> SessionVenue | None:
        """Where a venue place is held: its venue (or, for a place without one, the session's
        only venue); None online. Tickets, calendars and mails name it."""
        if self.mode is not Mode.venue:
            return None
        return self.venue if self.venue_id is not None else self.session.default_venue

    #: not stored: the waitlist position known when the place was just decided under the
    #: lock, so the answer and the email need not count it again (capacity.waitlist_positions)
    known_position = None


class CalendarFeed(db.Model):
    """A person's private calendar feed. The URL is signed with `version`: bump it to revoke."""

    __tablename__ = "calendar_feed"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)


class MessageLog(db.Model):
    """An email an organiser sent to a filtered group of participants."""

    __tablename__ = "message_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: the filter that chose the recipients (status, mode, prefecture, session, search)
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    recipient_count: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender: Mapped[User | None] = relationship()


class ReminderKind(enum.StrEnum):
    day_before = "day_before"  #: the day before the session, at the organisation's time
    hour_before = "hour_before"  #: an hour before the start


class Reminder(db.Model):
    """A reminder mail queued for one person about one session (app/registration/reminders.py).
    Written in the transaction that queues the mail; its unique key makes each reminder go out
    once whatever runs at once, and names the start time, so a moved session is reminded again."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint(
            "session_id", "kind", "user_id", "session_starts_at", name="uq_reminder_once"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReminderKind] = mapped_column(str_enum(ReminderKind, "reminder_kind"))
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: the session's start the reminder was about
    session_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the place's mode then: the room link (online) or the ticket (venue)
    mode: Mapped[Mode] = mapped_column(str_enum(Mode, "place_mode"))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[Session] = relationship()
