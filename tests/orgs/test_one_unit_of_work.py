"""Creating an organisation, inviting a member (the invitation and its mail), accepting and
changing a role are each one unit of work (issue 17): the page or API operation commits once,
the services only flush, and a request that fails leaves nothing behind."""

import re

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.mail.models import OutgoingMail
from app.orgs import services
from app.orgs.models import Invitation, Membership, Organization, Role
from tests.api.test_api_events import bearer
from tests.commits import counted_post
from tests.conftest import create_user, login


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_creating_an_organisation_commits_once_on_the_page_and_the_api(
    app, client, world, ctx, commits
):
    login(client, "participant@example.jp")
    response = counted_post(client, commits, "/orgs", {"name": "雲南市"}, token_from="/orgs")
    assert response.status_code == 302 and commits.edge == 1
    headers = bearer(app, world["participant"])
    commits.reset()
    created = client.post("/api/v1/orgs", json={"name": "奥出雲町"}, headers=headers)
    assert created.status_code == 201
    assert commits.edge == 1
    assert _count(Organization) == 4  # the world's two and these


def test_inviting_accepting_and_changing_a_role_commit_once_each(app, world, smtp, ctx, commits):
    owner = app.test_client()
    login(owner, "owner@example.jp")
    members = f"/orgs/{world['org']}/members"
    invited = {"email": "new.staff@example.jp", "role": "staff"}
    path = f"/orgs/{world['org']}/invitations"
    assert counted_post(owner, commits, path, invited, token_from=members).status_code == 302
    assert commits.edge == 1  # the invitation and its mail together; the mail is sent after
    link = re.search(r"http://localhost(/invitations/\S+)", smtp[0].get_body().get_content())[1]

    newcomer = app.test_client()
    create_user("new.staff@example.jp")
    login(newcomer, "new.staff@example.jp")
    assert counted_post(newcomer, commits, link, token_from=link).status_code == 302
    assert commits.edge == 1

    joined = db.session.scalar(
        select(Membership).join(Membership.user).where(Membership.role == Role.staff)
    )
    path = f"/orgs/{world['org']}/members/{joined.id}/role"
    counted_post(owner, commits, path, {"role": "organizer"}, token_from=members)
    assert commits.edge == 1
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count()).select_from(Membership).where(Membership.role == Role.organizer)
        )
        == 2
    )


def test_an_invitation_whose_mail_fails_leaves_nothing(client, world, ctx, commits, monkeypatch):
    def mail_fails(*_args, **_kwargs):
        raise RuntimeError("the mail could not be queued")

    monkeypatch.setattr(services, "send_mail", mail_fails)
    login(client, "owner@example.jp")
    invited = {"email": "new.staff@example.jp", "role": "staff"}
    path = f"/orgs/{world['org']}/invitations"
    members = f"/orgs/{world['org']}/members"
    response = counted_post(client, commits, path, invited, token_from=members)
    assert response.status_code == 500 and commits.edge == 0
    assert _count(Invitation) == 0 and _count(OutgoingMail) == 0
    audited = select(func.count()).select_from(AuditEvent)
    assert db.session.scalar(audited.where(AuditEvent.event == "org.member_invited")) == 0
