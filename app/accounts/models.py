from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.prefectures import RELATIONS, prefecture_name
from app.core.types import UTCDateTime, utcnow
from app.extensions import db


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: lower-cased; a deleted account gets a placeholder so the address can sign up again
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: 氏名 as the person writes it
    name: Mapped[str] = mapped_column(String(100))
    #: ふりがな, normalised to hiragana; used for sorting and search
    furigana: Mapped[str] = mapped_column(String(100), index=True)
    #: JIS X 0401 code of the 都道府県 they live in ("13" = 東京都); kept after deletion for stats
    prefecture: Mapped[str] = mapped_column(String(2), index=True)
    #: "ja" or "en"
    locale: Mapped[str] = mapped_column(String(5), default="ja")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: when they consented to the privacy notice, and to which version
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_version: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: moved on by logging out, a password change or reset and deletion: every session and
    #: remember-me cookie names it (get_id), so each of these ends them all
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    #: an account an organiser made for someone without an email (a phone sign-up) can be
    #: taken over by that person's own account with a code the organiser gives them: its hash
    claim_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    claim_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: on an account an organiser made: the address they typed, where the person is asked to
    #: confirm and the organiser's messages go; never used to find or to log in to an account
    contact_email: Mapped[str | None] = mapped_column(String(254))

    #: loaded when asked for (every request loads its user; few of them need the relations):
    #: lists that show them load them for everyone at once (selectinload)
    relation_rows: Mapped[list["UserRelation"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def relations(self) -> list[str]:
        return sorted((r.relation for r in self.relation_rows), key=list(RELATIONS).index)

    @relations.setter
    def relations(self, codes) -> None:
        wanted = set(codes)
        self.relation_rows = [r for r in self.relation_rows if r.relation in wanted]
        have = {r.relation for r in self.relation_rows}
        for code in RELATIONS:
            if code in wanted and code not in have:
                self.relation_rows.append(UserRelation(relation=code))

    @property
    def prefecture_name(self) -> str:
        return prefecture_name(self.prefecture)

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    def get_id(self) -> str:
        # Flask-Login stores this in the session; a bumped version logs that session out.
        return f"{self.id}.{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserRelation(db.Model):
    """How a person relates to regions; one row per relation so reports can group by it."""

    __tablename__ = "user_relation"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    #: one of app.core.prefectures.RELATIONS
    relation: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="relation_rows")


class ApiToken(db.Model):
    """A personal token for `Authorization: Bearer`; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the first characters, shown in the token list so a person can tell tokens apart
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what the token may do: one of app.accounts.scopes.SCOPES (tokens made before scopes
    #: existed are `organiser`: everything the person's role allows)
    scope: Mapped[str] = mapped_column(String(20), default="organiser", server_default="organiser")
    #: after this the token is refused (401 token_expired); None: never (only older tokens)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now
