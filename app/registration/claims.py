"""Claim codes: someone an organiser added by hand without an email (a phone sign-up) later
makes their own account; with a code the organiser reads to them, they take the hand-made
account's registrations, attendance and certificates into theirs, and it is removed.

The code is the person's consent and proof at once: an organiser cannot attach anyone's records
to an account, and an account holder cannot take records without the code. A code is random
(50 bits), kept only as a hash, used once, and expires after CLAIM_CODE_DAYS days.
"""

import secrets
import unicodedata
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User, UserRelation
from app.audit.services import record
from app.core.errors import KakawariError, ValidationFailed
from app.core.secrets import hash_secret
from app.core.types import utcnow
from app.events.models import Series
from app.extensions import db
from app.registration.models import Registration, RegistrationStatus
from app.registration.unit import joins_unit_of_work

CLAIM_CODE_DAYS = 30
#: no 0/O, 1/I/L: read over the phone and typed from a note without confusion
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


class ClaimConflict(KakawariError):
    status = 409
    code = "claim_conflict"
    message = _l("Both accounts have an active registration for the same series.")


def can_have_claim_code(user: User) -> bool:
    """Only accounts made by an organiser, which nobody can log in to: no password, no email."""
    return user.is_active and user.password_hash is None and user.email.endswith(".invalid")


@joins_unit_of_work
def new_claim_code(user: User, *, actor: User, org) -> str:
    """A fresh code for a hand-made account (any earlier one stops working); shown once."""
    if not can_have_claim_code(user):
        raise ValidationFailed(_l("Only people added without an email address need a code."))
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    user.claim_code_hash = hash_secret(code)
    user.claim_code_expires_at = utcnow() + timedelta(days=CLAIM_CODE_DAYS)
    record("account.claim_code_issued", actor=actor, subject=user, org=org)
    db.session.flush()
    return f"{code[:5]}-{code[5:]}"


def normalize_code(text) -> str:
    """What the person typed: full-width letters (Japanese input), lower case, spaces and
    hyphens are all accepted."""
    text = unicodedata.normalize("NFKC", str(text or "")).upper()
    return "".join(ch for ch in text if ch not in " -‐−ー\u3000")


def _placeholder_for(code: str) -> User | None:
    code = normalize_code(code)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    user = db.session.scalar(select(User).where(User.claim_code_hash == hash_secret(code)))
    if user is None or not can_have_claim_code(user):
        return None
    if user.claim_code_expires_at is None or user.claim_code_expires_at <= utcnow():
        return None
    return user


def _conflicts(source: User, target: User) -> list[str]:
    """Titles of series both accounts are actively registered for."""
    active = Registration.status != RegistrationStatus.cancelled
    theirs = select(Registration.series_id).where(Registration.user_id == target.id, active)
    return db.session.scalars(
        select(Series.title)
        .join(Registration, Registration.series_id == Series.id)
        .where(Registration.user_id == source.id, active, Registration.series_id.in_(theirs))
        .order_by(Series.id)
    ).all()


@joins_unit_of_work
def claim(target: User, code: str) -> list[Registration]:
    """Move everything of the hand-made account with this code into `target`'s account and
    remove it. Returns the registrations taken over. Raises ValidationFailed for a wrong,
    used or expired code and ClaimConflict when both are registered for the same series; then
    nothing changes."""
    source = _placeholder_for(code)
    if source is None or source.id == target.id:
        raise ValidationFailed(
            fields={"code": [_l("This code is wrong, already used or expired.")]}
        )
    return merge_into(source, target, "account.claimed")


def merge_into(source: User, target: User, event: str, **details) -> list[Registration]:
    """Move everything of the hand-made account `source` into `target`'s account, remove it
    and audit it as `event`; flushes, the edge commits once. Returns the registrations taken
    over. Raises ClaimConflict, naming the series, when both are registered for the same one;
    the edge then rolls back and nothing changes."""
    titles = _conflicts(source, target)
    if titles:
        raise ClaimConflict(
            _l(
                "You are already registered for %(series)s. Cancel one of the two "
                "registrations first (or ask the organiser).",
                series="、".join(titles),
            )
        )
    taken = db.session.scalars(
        select(Registration.id).where(Registration.user_id == source.id).order_by(Registration.id)
    ).all()
    source_id, target_id = source.id, target.id
    try:
        # The person's own profile stands; the hand-made one's relations go with it.
        db.session.execute(UserRelation.__table__.delete().where(UserRelation.user_id == source_id))
        # Every other reference to the hand-made account now points to the person's account.
        for table in db.metadata.sorted_tables:
            if table.name in ("user", UserRelation.__tablename__):
                continue
            for fk in table.foreign_keys:
                if fk.column.table.name == "user":
                    db.session.execute(
                        update(table)
                        .where(fk.parent == source_id)
                        .values({fk.parent.name: target_id})
                    )
        record(
            event,
            actor=target,
            subject=target,
            from_user_id=source_id,
            registration_ids=list(taken),
            **details,
        )
        db.session.execute(User.__table__.delete().where(User.id == source_id))
        db.session.flush()
    except IntegrityError:  # both have a record the other may not share (a certificate, …):
        raise ClaimConflict() from None  # the edge rolls back, nothing changes
    db.session.expire_all()
    return [db.session.get(Registration, r_id) for r_id in taken]
