"""Test fixtures: the app on a throwaway database (SQLite file, or PostgreSQL with
KAKAWARI_TEST_DB=postgresql), migrated with Alembic, emptied after every test."""

import contextvars
import os
import re
import secrets
import socket
import tempfile
from email import message_from_bytes, policy
from pathlib import Path

import psycopg
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from app import create_app
from app.accounts.models import User
from app.core.types import utcnow
from app.extensions import db, limiter
from app.orgs.models import Membership, Organization, Role
from config import Config

PASSWORD = "correct-horse-9"
# Real scrypt, at 1/32 of the production cost (config.py): a test logs in many times, and at
# full cost the hashing alone took about a tenth of the suite's time. test_signup checks that
# the app outside the suite hashes at the full cost.
PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
_HASH = generate_password_hash(PASSWORD, method=PASSWORD_HASH_METHOD)
PG_ADMIN_URL = os.environ.get("KAKAWARI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production, even while a test holds one
    (Flask would otherwise reuse the test's context, and with it `g` and the DB session)."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = secrets.token_hex(16)
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = None
    BASE_URL = "http://localhost"
    PASSWORD_HASH_METHOD = PASSWORD_HASH_METHOD


def _create_pg_database() -> tuple[str, str]:
    name = f"kakawari_test_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        # Never a skip: a PostgreSQL run that cannot reach PostgreSQL has failed.
        pytest.exit(f"KAKAWARI_TEST_DB=postgresql but PostgreSQL is unreachable: {exc}", 3)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    return name, url


def _drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_xdist_node_collection_finished(node, ids):
    """pytest-xdist's loadfile, loadscope and loadgroup modes run one test per node id, and
    schemathesis gives every API operation of test_api_schema the same one: under them 26 of
    its 27 operations would pass without running. `make test` uses worksteal (by position)."""
    dist = node.config.option.dist
    if dist in ("loadfile", "loadscope", "loadgroup") and len(set(ids)) < len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        pytest.exit(f"--dist {dist} would run each of {twice} once: use --dist worksteal", 4)


@pytest.fixture(scope="session")
def database_url():
    if os.environ.get("KAKAWARI_TEST_DB") == "postgresql":
        name, url = _create_pg_database()
        yield url
        _drop_pg_database(name)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from config import normalize_database_url

    application = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=normalize_database_url(database_url),
        INSTANCE_DIR=tmp_path_factory.mktemp("instance"),
    )
    application.test_client_class = IsolatedClient
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()  # the real migrations, not create_all: they are under test too
    return application


@pytest.fixture(autouse=True)
def _clean_state(app):
    yield
    with app.app_context():
        db.session.remove()
        empty_every_table()
    limiter.reset()


def empty_every_table() -> None:
    """Every table empty and every id counting from 1 again, as on a new database.

    Only the tables a test wrote to are emptied, children first (one query finds them), with
    DELETE: on PostgreSQL a TRUNCATE of every table cost about 0.3 s a test (a new file per
    table and index), most of the PostgreSQL pass. The sequences a test drew from start at 1
    again, as TRUNCATE ... RESTART IDENTITY did (SQLite's rowids do so by themselves)."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    written = set(
        db.session.scalars(
            text(
                " UNION ALL ".join(
                    f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables
                )
            )
        )
    )
    for t in tables:
        if t in written:
            db.session.execute(text(f'DELETE FROM "{t}"'))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)"
                " FROM pg_sequences"
                " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        )
    db.session.commit()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


# --- people and organisations ---------------------------------------------------------------


_counter = iter(range(1, 10**9))


def create_user(
    email=None,
    *,
    name="山田 花子",
    furigana="やまだ はなこ",
    prefecture="13",
    relations=("interest",),
    is_admin=False,
    locale="ja",
) -> User:
    """A user with password PASSWORD, inserted directly (sign-up itself is tested on its own)."""
    user = User(
        email=email or f"user{next(_counter)}@example.jp",
        password_hash=_HASH,
        name=name,
        furigana=furigana,
        prefecture=prefecture,
        locale=locale,
        is_admin=is_admin,
        consent_at=utcnow(),
        consent_version="2026-04",
    )
    user.relations = list(relations)
    db.session.add(user)
    db.session.commit()
    return user


def create_org(name="しまね関係人口ラボ", **members) -> Organization:
    """create_org(owner=user, staff=user2, ...)"""
    org = Organization(name=name)
    db.session.add(org)
    for role, user in members.items():
        db.session.add(Membership(org=org, user=user, role=Role(role)))
    db.session.commit()
    return org


@pytest.fixture
def world(app):
    """Two tenants and one person of each kind; ids only, so tests can use any context."""
    with app.app_context():
        owner = create_user("owner@example.jp", name="石倉 陽子", furigana="いしくら ようこ")
        organizer = create_user("organizer@example.jp", name="景山 健", furigana="かげやま けん")
        staff = create_user("staff@example.jp", name="福間 さくら", furigana="ふくま さくら")
        participant = create_user("participant@example.jp")
        other = create_user("other@example.jp", name="別 団体", furigana="べつ だんたい")
        admin = create_user("admin@example.jp", is_admin=True)
        org = create_org(owner=owner, organizer=organizer, staff=staff)
        other_org = create_org("ほかの町役場", owner=other)
        return {
            "owner": owner.id,
            "organizer": organizer.id,
            "staff": staff.id,
            "participant": participant.id,
            "other": other.id,
            "admin": admin.id,
            "org": org.id,
            "other_org": other_org.id,
            "emails": {
                "owner": owner.email,
                "organizer": organizer.email,
                "staff": staff.email,
                "participant": participant.email,
                "other": other.email,
                "admin": admin.email,
            },
        }


# --- talking to the app like a browser ---------------------------------------------------------

_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def post_form(client, path, data=None, *, token_from=None, **kwargs):
    """POST a form the way a browser does: with the CSRF token from a page."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, token_from or "/"))
    return client.post(path, data=data, **kwargs)


def login(client, email, password=PASSWORD):
    response = post_form(
        client, "/login", {"email": email, "password": password}, token_from="/login"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a real SMTP server --------------------------------------------------------------------------


@pytest.fixture
def smtp(app, monkeypatch):
    """aiosmtpd on 127.0.0.1; yields the list of received email.message.EmailMessage."""
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    yield received
    controller.stop()
