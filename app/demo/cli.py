import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from app.accounts.models import User
from app.core.secrets import hash_password
from app.core.types import utcnow
from app.demo.choose import seed_choose
from app.demo.door import open_the_door
from app.demo.people import demo_participants
from app.demo.satellite import seed_satellite
from app.demo.series import move_live_session_to_now, seed_series
from app.demo.surveys import seed_surveys
from app.demo.viewer import VIEWER_EMAIL, VIEWER_ORG, seed_viewer
from app.extensions import db
from app.orgs.models import Membership, Organization, Role

DEMO_PASSWORD = "kakawari-demo"  # noqa: S105 -- the documented demo password
DEMO_ORG = "しまね関係人口ラボ"

STAFF = [
    # email, name, furigana, prefecture, role
    ("owner@example.jp", "石倉 陽子", "いしくら ようこ", "32", Role.owner),
    ("organizer@example.jp", "景山 健", "かげやま けん", "32", Role.organizer),
    ("staff@example.jp", "福間 さくら", "ふくま さくら", "32", Role.staff),
]

demo_cli = AppGroup("demo", help="Demo data.")


def _upsert_user(email, name, furigana, prefecture, relations, password_hash) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            name=name,
            furigana=furigana,
            prefecture=prefecture,
            password_hash=password_hash,
            locale="ja",
            consent_at=utcnow(),
            consent_version="2026-04",
        )
        user.relations = relations
        db.session.add(user)
    return user


def seed_demo() -> dict:
    """Create the demo organisation and people if missing. Returns what was created."""
    # One hash for every demo account: hashing 124 times would only slow `make run` down.
    password_hash = hash_password(DEMO_PASSWORD)
    before = db.session.scalar(select(db.func.count()).select_from(User))

    org = db.session.scalar(select(Organization).where(Organization.name == DEMO_ORG))
    if org is None:
        org = Organization(name=DEMO_ORG)
        db.session.add(org)
    for email, name, furigana, prefecture, role in STAFF:
        user = _upsert_user(email, name, furigana, prefecture, ["work"], password_hash)
        db.session.flush()
        exists = db.session.scalar(
            select(Membership).where(Membership.org_id == org.id, Membership.user_id == user.id)
        )
        if exists is None:
            db.session.add(Membership(org=org, user=user, role=role))

    admin = _upsert_user("admin@example.jp", "管理 者", "かんり しゃ", "13", [], password_hash)
    admin.is_admin = True
    _upsert_user(
        "participant@example.jp",
        "山田 花子",
        "やまだ はなこ",
        "13",
        ["origin", "interest"],
        password_hash,
    )
    for person in demo_participants():
        _upsert_user(**person, password_hash=password_hash)
    viewer = _upsert_user(VIEWER_EMAIL, "竹下 みどり", "たけした みどり", "32", [], password_hash)
    db.session.commit()
    after = db.session.scalar(select(db.func.count()).select_from(User))
    seed_series(org)
    db.session.commit()  # each step commits as an edge does (the services flush)
    seed_choose(org)  # a per-session series: people book the sessions they come to
    db.session.commit()
    door = open_the_door(org)  # a venue session with check-in open, whenever the demo loads
    db.session.commit()
    seed_surveys(org)  # a finished session's 事後アンケート with about 60 answers
    db.session.commit()
    seed_satellite(org)  # サテライト会場: a series in 東京会場 and 松江会場 at once, plus online
    db.session.commit()
    seed_viewer(org, viewer)  # 島根県 views the programme's figures (委託元)
    db.session.commit()
    return {"users_created": after - before, "org_id": org.id, "door_session_id": door.id}


@demo_cli.command("seed")
@with_appcontext
def seed_command() -> None:
    """Load the demo (safe to run again)."""
    # Thousands of demo confirmations are not worth mailing, even to the log. Only while
    # seeding: the app may live on (tests share one), and its mail must work again.
    suppress = current_app.config.get("MAIL_SUPPRESS")
    current_app.config["MAIL_SUPPRESS"] = True
    try:
        result = seed_demo()
    finally:
        current_app.config["MAIL_SUPPRESS"] = suppress
    click.echo(f"Demo data ready ({result['users_created']} new accounts).")
    click.echo(
        f"Check-in is open: /orgs/{result['org_id']}/checkin/sessions/{result['door_session_id']}"
    )


@demo_cli.command("logins")
def logins_command() -> None:
    """Print the demo logins."""
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, _name, _furigana, _pref, role in STAFF:
        click.echo(f"  {email:<26} {role.value} of {DEMO_ORG}")
    click.echo(f"  {'participant@example.jp':<26} participant (東京都)")
    click.echo(f"  {'p001@example.jp … p120':<26} participants from 東京都, 大阪府, 島根県 …")
    click.echo(f"  {VIEWER_EMAIL:<26} {VIEWER_ORG} (委託元): views {DEMO_ORG}'s programme")
    click.echo(f"  {'admin@example.jp':<26} site administrator")


@demo_cli.command("live-now")
@with_appcontext
def live_now_command() -> None:
    """Move the demo's online session (第3回) to start in 10 minutes: its live room opens now;
    and open the check-in of its venue session again if it has closed."""
    org = db.session.scalar(select(Organization).where(Organization.name == DEMO_ORG))
    suppress = current_app.config.get("MAIL_SUPPRESS")
    current_app.config["MAIL_SUPPRESS"] = True  # no "session moved" mails for a demo
    try:
        session = move_live_session_to_now(org) if org else None
        if session is not None:
            open_the_door(org)
        db.session.commit()  # what it moved, and (no) mails about it, while mail is suppressed
    finally:
        current_app.config["MAIL_SUPPRESS"] = suppress
    if session is None:
        raise click.ClickException("Load the demo first: flask --app wsgi demo seed")
    click.echo(f"The live room of session {session.id} is open: /sessions/{session.id}/live")
