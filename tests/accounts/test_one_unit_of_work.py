"""Signing up, changing one's profile or password and deleting one's account are each one unit
of work (issue 17): the page or API operation commits once, the services only flush; a live
socket hears that a session ended only once that committed, and a request that fails leaves
nothing behind."""

import pytest
from sqlalchemy import func, select, text

from app.accounts import services
from app.accounts.models import User
from app.accounts.signals import sessions_ended
from app.audit.models import AuditEvent
from app.extensions import db
from tests.accounts.test_signup import GOOD
from tests.commits import counted_post
from tests.conftest import PASSWORD, create_user, login

PROFILE = {
    "name": "山田 花",
    "furigana": "やまだ はな",
    "prefecture": "32",
    "relations": ["work"],
    "locale": "ja",
}


def _audited(event: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.event == event)
    )


@pytest.fixture
def ended():
    """The people whose sessions ended, with their name as committed then (another connection)."""
    told = []

    def listener(_app, user_id):
        with db.engine.connect() as other:
            name = other.execute(
                text('SELECT name FROM "user" WHERE id = :id'), {"id": user_id}
            ).scalar()
        told.append((user_id, name))

    sessions_ended.connect(listener, weak=False)
    yield told
    sessions_ended.disconnect(listener)


def test_signing_up_and_changing_the_profile_commit_once_each(client, ctx, commits):
    assert counted_post(client, commits, "/signup", GOOD, token_from="/signup").status_code == 302
    assert commits.edge == 1
    user = db.session.scalar(select(User))
    assert _audited("account.created") == 1

    assert counted_post(client, commits, "/account", PROFILE, token_from="/account").status_code
    assert commits.edge == 1
    db.session.refresh(user)
    assert (user.name, user.prefecture) == ("山田 花", "32")

    password = {
        "current_password": GOOD["password"],
        "password": "another-pass-2026",
        "password_confirm": "another-pass-2026",
    }
    path = "/account/password"
    assert counted_post(client, commits, path, password, token_from=path).status_code == 302
    assert commits.edge == 1


def test_the_api_signs_up_with_one_commit(client, ctx, commits):
    body = {**GOOD, "relations": ["origin"], "consent": True}
    assert client.post("/api/v1/users", json=body).status_code == 201
    assert commits.edge == 1


def test_a_failed_login_commits_its_audit_record_and_nothing_else(client, ctx, commits):
    create_user("hanako@example.jp")
    wrong = {"email": "hanako@example.jp", "password": "not-my-password"}
    assert counted_post(client, commits, "/login", wrong, token_from="/login").status_code == 200
    assert commits.edge == 1 and _audited("auth.login_failed") == 1


def test_deleting_an_account_commits_once_and_sockets_hear_of_it_after(client, ctx, commits, ended):
    user = create_user("hanako@example.jp")
    login(client, user.email)
    ended.clear()
    path = "/account/delete"
    response = counted_post(client, commits, path, {"password": PASSWORD}, token_from=path)
    assert response.status_code == 302
    assert commits.edge == 1
    assert ended == [(user.id, services.DELETED_NAME)]  # told once the deletion committed


def test_a_sign_up_or_deletion_that_fails_leaves_nothing(client, ctx, commits, monkeypatch):
    registered = services.register_user

    def fails_after_registering(*args, **kwargs):
        registered(*args, **kwargs)  # flushed and audited ... then it breaks
        raise RuntimeError("the sign-up failed")

    monkeypatch.setattr(services, "register_user", fails_after_registering)
    response = counted_post(client, commits, "/signup", GOOD, token_from="/signup")
    assert response.status_code == 500 and commits.edge == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert _audited("account.created") == 0

    user = create_user("taro@example.jp")
    login(client, user.email)
    deleted = services.delete_account

    def fails_after_deleting(*args, **kwargs):
        deleted(*args, **kwargs)
        raise RuntimeError("the deletion failed")

    monkeypatch.setattr(services, "delete_account", fails_after_deleting)
    path = "/account/delete"
    response = counted_post(client, commits, path, {"password": PASSWORD}, token_from=path)
    assert response.status_code == 500 and commits.edge == 0
    db.session.refresh(user)
    assert user.email == "taro@example.jp" and user.deleted_at is None
    assert _audited("account.deleted") == 0
