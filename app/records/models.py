"""The person's choice of organisations for one 年度's record, and its verification links.

The activities themselves are never stored: every page, file and verification recomputes them
from the final attendance records, so what a link shows always matches the database."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.types import UTCDateTime, utcnow
from app.extensions import db


class ActivityRecord(db.Model):
    """One person's 関わり証明 for one 年度: made when they first choose organisations or create
    a link. Without a row every organisation's activities appear."""

    __tablename__ = "activity_record"
    __table_args__ = (UniqueConstraint("user_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    orgs: Mapped[list["ActivityRecordOrg"]] = relationship(
        cascade="all, delete-orphan", back_populates="record"
    )
    links: Mapped[list["ActivityRecordLink"]] = relationship(
        cascade="all, delete-orphan", back_populates="record", order_by="ActivityRecordLink.id"
    )


class ActivityRecordOrg(db.Model):
    """An organisation whose activities the person chose to show in the record."""

    __tablename__ = "activity_record_org"

    record_id: Mapped[int] = mapped_column(
        ForeignKey("activity_record.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )

    record: Mapped[ActivityRecord] = relationship(back_populates="orgs")


class ActivityRecordSetting(db.Model):
    """An organisation's N: it lists the people (who agreed at registration) with at least N
    activities in its programme in a 年度."""

    __tablename__ = "activity_record_setting"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    min_activities: Mapped[int] = mapped_column(Integer, default=3, server_default="3")


class ActivityRecordLink(db.Model):
    """A verification link: whoever holds its code sees the record; withdrawn links are gone."""

    __tablename__ = "activity_record_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("activity_record.id", ondelete="CASCADE"), index=True
    )
    #: 128 random bits, base64url (like the 修了証's code)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    record: Mapped[ActivityRecord] = relationship(back_populates="links")
