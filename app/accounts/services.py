"""Accounts: the rules for creating, authenticating, changing and deleting a person.

Each function flushes; the edge (page, API operation, command) commits once. What other areas
must hear of (a live socket closing with an ended session) follows that commit (after_commit).
"""

import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.accounts import scopes
from app.accounts import validation as v
from app.accounts.models import ApiToken, User
from app.accounts.signals import (
    account_deleting,
    account_erasing,
    api_tokens_revoked,
    sessions_ended,
)
from app.audit.services import record
from app.core.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    LastOwner,
    ValidationFailed,
)
from app.core.secrets import check_password, hash_password, hash_secret
from app.core.text import has_control_chars, printable, single_line
from app.core.types import utcnow
from app.core.uow import after_commit
from app.core.urls import external_url
from app.extensions import commit_keeping_loaded, db
from app.mail import send_mail

PRIVACY_NOTICE_VERSION = "2026-04"
TOKEN_PREFIX = "kkw_"  # noqa: S105 -- a marker, not a secret
DELETED_NAME = "退会済みユーザー"  # stored, not translated: it replaces the person's name


def _validated(data: dict, rules: dict) -> dict:
    cleaned, errors = v.clean_fields(data, rules)
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def find_user_by_email(email: str) -> User | None:
    email = str(email or "").strip().lower()
    if not email or len(email) > 254 or has_control_chars(email):
        return None  # no account can have such an address
    return db.session.scalar(select(User).where(User.email == email))


def register_user(data: dict, *, locale: str = "ja") -> User:
    """Create an account from raw input (form or API). Raises ValidationFailed or EmailTaken."""
    # Every field in one round, the password too: a form shows all its messages at once.
    email = str(data.get("email") or "").strip()
    cleaned, errors = v.clean_fields(
        data,
        {
            "email": v.clean_email,
            "password": lambda value: v.clean_password(value, email=email),
            "name": v.clean_name,
            "furigana": v.clean_furigana,
            "prefecture": v.clean_prefecture,
            "relations": v.clean_relations,
            "consent": v.clean_consent,
        },
    )
    if "email" in cleaned and find_user_by_email(cleaned["email"]):
        if not errors:
            raise EmailTaken(fields={"email": [EmailTaken.message]})
        errors["email"] = [EmailTaken.message]
    if errors:
        raise ValidationFailed(fields=errors)
    password = cleaned["password"]
    user = User(
        email=cleaned["email"],
        password_hash=hash_password(password),
        name=cleaned["name"],
        furigana=cleaned["furigana"],
        prefecture=cleaned["prefecture"],
        locale=locale if locale in ("ja", "en") else "ja",
        consent_at=utcnow(),
        consent_version=PRIVACY_NOTICE_VERSION,
    )
    user.relations = cleaned["relations"]
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same address signed up at the same moment
        db.session.rollback()
        raise EmailTaken(fields={"email": [EmailTaken.message]}) from None
    record("account.created", actor=user, subject=user)
    return user


def authenticate(email: str, password: str) -> User:
    """The active user with these credentials, or InvalidCredentials (audited: the caller
    commits the record before it answers)."""
    user = find_user_by_email(str(email or ""))
    if user is None or not user.is_active or not user.password_hash:
        check_password(None, str(password or ""))  # as long as a real check takes
        record("auth.login_failed", email=printable(email, 254))
        raise InvalidCredentials()
    if not check_password(user.password_hash, str(password or "")):
        record("auth.login_failed", subject=user, email=user.email)
        raise InvalidCredentials()
    return user


def update_profile(user: User, data: dict) -> User:
    cleaned = _validated(
        data,
        {
            "name": v.clean_name,
            "furigana": v.clean_furigana,
            "prefecture": v.clean_prefecture,
            "relations": v.clean_relations,
            "locale": v.clean_locale,
        },
    )
    relations = cleaned.pop("relations")
    for key, value in cleaned.items():
        setattr(user, key, value)
    user.relations = relations
    db.session.flush()
    return user


def set_locale(user: User, locale: str) -> None:
    user.locale = v.clean_locale(locale)
    db.session.flush()


def change_password(user: User, current: str, new: str, confirm: str | None = None) -> None:
    """A new password ends every session, remember-me cookie and API token of the person (the
    browser that changed it logs in again with the new session version). `confirm`, when
    given, must repeat `new`; every field's message comes at once."""
    errors = {}
    if not check_password(user.password_hash, current or ""):
        errors["current_password"] = [InvalidCredentials.message]
    revoked = _set_password(user, new, confirm, errors)
    record("auth.password_changed", subject=user, tokens_revoked=len(revoked))
    db.session.flush()
    _announce_ended(user.id, revoked)


def _set_password(user: User, new: str, confirm=None, errors=None) -> list[int]:
    """Set it, end every session and revoke every API token; the ids of the tokens revoked.
    Raises ValidationFailed with `errors` (the caller's other fields) and the new password's."""
    errors = dict(errors or {})
    try:
        password = v.clean_password(new, email=user.email)
    except ValueError as exc:
        errors["password"] = [exc.args[0]]
    if confirm is not None and confirm != new:
        errors["password_confirm"] = [v.PASSWORDS_DIFFER]
    if errors:
        raise ValidationFailed(fields=errors)
    user.password_hash = hash_password(password)
    _end_sessions(user)
    return _revoke_every_api_token(user)


# --- sessions -----------------------------------------------------------------------------------


def _end_sessions(user: User) -> None:
    """Every session and remember-me cookie names the session version (User.get_id, checked by
    app.accounts.loaders): a new one ends them all."""
    user.session_version += 1


def log_out_everywhere(user: User) -> None:
    """Logging out ends every session and remember-me cookie of the person, not only this
    browser's: a copied cookie never outlives the logout. API tokens stay (revoke them)."""
    _end_sessions(user)
    record("auth.logged_out", actor=user, subject=user)
    db.session.flush()
    _announce_ended(user.id, [])


def _announce_ended(user_id: int, token_ids: list[int]) -> None:
    """Once committed: what was opened with an ended session or token (a live socket) closes."""
    app = current_app._get_current_object()

    def announce():
        sessions_ended.send(app, user_id=user_id)
        if token_ids:
            api_tokens_revoked.send(app, user_id=user_id, token_ids=token_ids)

    after_commit(announce)


# --- password reset -------------------------------------------------------------------------


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_mark(user: User) -> str:
    """Changes whenever the password does: a reset link carries it, so it works until the
    password changes (once), whatever happens to the person's sessions meanwhile; keyed, so the
    link shows nothing of the hash."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (user.password_hash or "").encode(), "sha256").hexdigest()[:32]


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "p": _password_mark(user)})


def request_password_reset(email: str) -> None:
    """Email a reset link if the address has an account. Says nothing either way (no probing)."""
    try:
        email = v.clean_email(email)
    except ValueError:
        return
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    link = external_url("accounts.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    with force_locale(user.locale):
        subject = _("Reset your Kakawari password")
        body = _(
            "%(name)s,\n\nOpen this link to choose a new password (valid for %(minutes)d minutes):"
            "\n%(link)s\n\nIf you did not ask for this, ignore this email.\n\n— Kakawari",
            name=user.name,
            minutes=minutes,
            link=link,
        )
    send_mail(user.email, subject, body)
    record("auth.password_reset_requested", actor=user, subject=user)


def user_for_reset_token(token: str) -> User:
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        raise InvalidToken() from None
    if not isinstance(data, dict):
        raise InvalidToken()
    user = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or not user.is_active:
        raise InvalidToken()  # the account was deleted
    mark = data.get("p")
    if not isinstance(mark, str) or not hmac.compare_digest(mark, _password_mark(user)):
        raise InvalidToken()  # used already, or the password changed since
    return user


def reset_password(token: str, new: str, confirm: str | None = None) -> User:
    user = user_for_reset_token(token)
    revoked = _set_password(user, new, confirm)
    record("auth.password_reset", actor=user, subject=user, tokens_revoked=len(revoked))
    db.session.flush()
    _announce_ended(user.id, revoked)
    return user


# --- API tokens ---------------------------------------------------------------------------------


def create_api_token(
    user: User, name: str, *, scope: str = scopes.ORGANISER, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Returns the row and the secret; the secret is shown once and never stored. The token
    may do what `scope` allows and expires after `expires_in_days` (default 90, at most 365)."""
    problems = {}
    if scope not in scopes.SCOPES:
        problems["scope"] = [_("Choose one of: %(scopes)s.", scopes=", ".join(scopes.SCOPES))]
    try:
        lifetime = scopes.expiry_after(expires_in_days)
    except ValueError:
        problems["expires_in_days"] = [
            _("Between 1 and %(days)d days.", days=scopes.MAX_EXPIRY_DAYS)
        ]
    if problems:
        raise ValidationFailed(fields=problems)
    try:
        name = single_line(name, 100)
    except ValueError:
        name = _("API token")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:10],
        scope=scope,
        expires_at=utcnow() + lifetime,
    )
    db.session.add(token)
    record("token.created", actor=user, subject=user, name=name, scope=scope)
    db.session.flush()
    return token, secret


def api_token_for(secret: str) -> ApiToken | None:
    """The token with this secret, not revoked, of an active person (loaded with it in one
    query); it may have expired (ApiToken.expired): the caller says so."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    if has_control_chars(secret):  # a socket's auth may carry a lone surrogate: no hash of it
        return None
    token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_secret(secret))
        .options(joinedload(ApiToken.user))
    )
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token


def token_use_due(token: ApiToken, now) -> bool:
    """A token's use is recorded at most every few minutes: no write on every API call."""
    return token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5)


def use_api_token(secret: str) -> ApiToken | None:
    """The valid token with this secret, its person loaded, its use recorded (a live socket
    keeps the token's id: revoking it, or its expiry, ends the socket)."""
    token = api_token_for(secret)
    now = utcnow()
    if token is None or token.expired(now):
        return None
    if token_use_due(token, now):
        token.last_used_at = now
        commit_keeping_loaded()  # the person and the token stay loaded
    return token


def list_api_tokens(user: User) -> list[ApiToken]:
    return db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    ).all()


def revoke_api_token(user: User, token_id: int) -> bool:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record("token.revoked", actor=user, subject=user, name=token.name)
    db.session.flush()
    app, user_id = current_app._get_current_object(), user.id
    after_commit(lambda: api_tokens_revoked.send(app, user_id=user_id, token_ids=[token_id]))
    return True


def _revoke_every_api_token(user: User) -> list[int]:
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
    return [token.id for token in tokens]


# --- deletion -----------------------------------------------------------------------------------


def delete_account(user: User, password: str) -> None:
    """Remove personal data; the row stays (anonymous, with prefecture) for attendance statistics.
    The other areas remove theirs through account_erasing (places in sessions not started yet
    are freed for the people waiting, free-text answers and the name on certificates go) and
    the audit record counts it all. One unit of work: flushed here, the caller commits; what
    the areas asked to do once committed (mails to the people who got a freed place) follows.

    Refused while the person is the last owner of an organisation (LastOwner).
    """
    if not check_password(user.password_hash, password or ""):
        raise ValidationFailed(fields={"password": [InvalidCredentials.message]})
    # Organisations (downstream) veto or clean up through the signal: no upstream import.
    for _receiver, blocking in account_deleting.send(current_app._get_current_object(), user=user):
        if blocking:
            raise LastOwner(blocking)
    now = utcnow()
    user.email = f"deleted-{user.id}-{secrets.token_hex(4)}@deleted.invalid"
    user.name = DELETED_NAME
    user.furigana = ""
    user.password_hash = None
    user.consent_at = None
    user.deleted_at = now
    _end_sessions(user)
    token_ids = []
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        token_ids.append(token.id)
        db.session.delete(token)
    db.session.flush()  # written first: on SQLite the transaction now holds the write lock
    # once committed, what was opened with a session or token of the person (a socket) closes
    _announce_ended(user.id, token_ids)
    removed = {}
    app = current_app._get_current_object()
    for _receiver, erased in account_erasing.send(app, user=user, now=now):
        if erased is not None:
            removed.update(erased.counts)
            if erased.after_commit:
                after_commit(erased.after_commit)
    record("account.deleted", actor=user, subject=user, **removed)
    db.session.flush()
