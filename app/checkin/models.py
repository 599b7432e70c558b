from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, String, and_, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.types import UTCDateTime, utcnow
from app.events.models import Session, SessionVenue
from app.extensions import db
from app.registration.models import Registration


class Ticket(db.Model):
    """A registration's ticket: one QR for every session of it, like a season pass.

    Whether it admits someone to a session is decided at scan time (checkin.services.decide).
    Only one ticket of a registration is valid at a time; re-issuing revokes the old one.
    """

    __tablename__ = "ticket"
    __table_args__ = (
        Index(
            "uq_ticket_valid",
            "registration_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    #: 160 random bits, base64url: what the QR code carries
    secret: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship()


#: the rule of a standing check-in, in SQL, for the partial unique index (CheckIn.standing says
#: the same for queries and loaded rows)
STANDING_SQL = "undone_at IS NULL AND duplicate_of_id IS NULL"


class CheckIn(db.Model):
    """Someone was admitted to a session at the venue (a scan or a manual check-in).

    At most one standing check-in per person and session; an offline admission of a ticket
    that was already in is kept too, flagged as a duplicate of the first, for the organiser.
    """

    __tablename__ = "checkin"
    __table_args__ = (
        Index(
            "uq_checkin_standing",
            "session_id",
            "registration_id",
            unique=True,
            postgresql_where=text(STANDING_SQL),
            sqlite_where=text(STANDING_SQL),
        ),
        # A nonce means something only inside its session (the same nonce at another session
        # is refused, not replayed). The nonce leads, so that check uses this index too.
        Index("uq_checkin_session_nonce", "nonce", "session_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), index=True
    )
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: when the person was admitted: the device's scan time (kept from offline scans)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the server heard of it
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the client's idempotency key: the same nonce twice at a session is the same check-in
    nonce: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64), default="")
    #: "scan", "manual" (search and tap) or "offline" (a queued scan, synced later)
    source: Mapped[str] = mapped_column(String(10), default="scan")
    #: the place's mode was online and the person came to the venue (let in, mode changed)
    mode_changed: Mapped[bool] = mapped_column(default=False)
    #: the venue the person was admitted at (サテライト会場: the scanner's venue). A venue people
    #: were checked in at is not removed (checkin.receivers); it goes with its session
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("session_venue.id"), index=True)
    #: staff let in a ticket for another venue of the session here (「この会場で受付」); logged
    venue_override: Mapped[bool] = mapped_column(default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkin.id", ondelete="SET NULL")
    )
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    session: Mapped[Session] = relationship()
    venue: Mapped[SessionVenue | None] = relationship()
    registration: Mapped[Registration] = relationship()
    staff: Mapped[User | None] = relationship(foreign_keys=[staff_id])

    @hybrid_property
    def standing(self) -> bool:
        """The check-in counts: not undone, and not a flagged duplicate of another admission.
        At most one per person and session (uq_checkin_standing). In a query,
        `CheckIn.standing` is the SQL condition."""
        return self.undone_at is None and self.duplicate_of_id is None

    @standing.inplace.expression
    @classmethod
    def _standing_expression(cls) -> ColumnElement[bool]:
        return and_(cls.undone_at.is_(None), cls.duplicate_of_id.is_(None))
