"""Organisations: creating one, inviting members by email, roles, removing, the audit log."""

import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.orgs.models import Membership, Organization, Role
from tests.conftest import create_user, login, post_form


def test_creating_an_organisation_makes_you_its_owner(client, ctx):
    user = create_user("hanako@example.jp")
    login(client, user.email)
    response = post_form(client, "/orgs", {"name": " 雲南市  地域振興課 "}, token_from="/orgs")
    org = db.session.scalar(select(Organization))
    assert org.name == "雲南市 地域振興課"
    assert response.headers["Location"] == f"/orgs/{org.id}"
    m = db.session.scalar(select(Membership))
    assert (m.user_id, m.role) == (user.id, Role.owner)
    assert "雲南市 地域振興課" in client.get("/orgs").get_data(as_text=True)


def test_organisation_needs_a_name(client, ctx):
    login(client, create_user().email)
    response = post_form(client, "/orgs", {"name": "   "}, token_from="/orgs")
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Organization)) is None


def _invite(client, org_id, email, role="staff"):
    return post_form(
        client,
        f"/orgs/{org_id}/invitations",
        {"email": email, "role": role},
        token_from=f"/orgs/{org_id}/members",
    )


def test_invitation_by_email_is_accepted_by_that_person_only(app, world, smtp, ctx):
    owner = app.test_client()
    login(owner, "owner@example.jp")
    response = _invite(owner, world["org"], "New.Staff@example.jp", "staff")
    assert response.status_code == 302
    assert "new.staff@example.jp" in owner.get(f"/orgs/{world['org']}/members").get_data(
        as_text=True
    )
    link = re.search(r"http://localhost(/invitations/\S+)", smtp[0].get_body().get_content())[1]

    # Someone else with the link cannot accept it.
    intruder = app.test_client()
    login(intruder, "participant@example.jp")
    refused = post_form(intruder, link, token_from=link)
    assert refused.status_code == 403

    newcomer = app.test_client()
    create_user("new.staff@example.jp")
    login(newcomer, "new.staff@example.jp")
    joined = post_form(newcomer, link, token_from=link)
    assert joined.headers["Location"] == f"/orgs/{world['org']}"
    assert newcomer.get(f"/orgs/{world['org']}").status_code == 200
    assert newcomer.get(f"/orgs/{world['org']}/members").status_code == 403  # staff, not owner
    # The link is used up.
    assert newcomer.get(link).status_code == 404


def test_invitation_rejects_bad_email_role_and_existing_member(client, world):
    login(client, "owner@example.jp")
    bad_email = _invite(client, world["org"], "nope")
    assert bad_email.status_code == 422 and 'id="email-error"' in bad_email.get_data(as_text=True)
    bad_role = _invite(client, world["org"], "x@example.jp", "owner")
    assert bad_role.status_code == 422
    member = _invite(client, world["org"], "staff@example.jp")
    assert member.status_code == 422 and "既にメンバー" in member.get_data(as_text=True)


def test_withdrawn_invitation_no_longer_works(client, world, smtp, ctx):
    from app.orgs.models import Invitation

    login(client, "owner@example.jp")
    _invite(client, world["org"], "later@example.jp")
    link = re.search(r"http://localhost(/invitations/\S+)", smtp[0].get_body().get_content())[1]
    inv = db.session.scalar(select(Invitation))
    post_form(
        client,
        f"/orgs/{world['org']}/invitations/{inv.id}/revoke",
        token_from=f"/orgs/{world['org']}/members",
    )
    assert client.get(link).status_code == 404


def test_owner_changes_roles_and_it_is_audited(client, world, ctx):
    login(client, "owner@example.jp")
    staff_m = db.session.scalar(select(Membership).where(Membership.user_id == world["staff"]))
    post_form(
        client,
        f"/orgs/{world['org']}/members/{staff_m.id}/role",
        {"role": "organizer"},
        token_from=f"/orgs/{world['org']}/members",
    )
    db.session.refresh(staff_m)
    assert staff_m.role is Role.organizer
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.event == "org.role_changed"))
    assert event.details == {"old": "staff", "new": "organizer"}
    assert event.actor_id == world["owner"] and event.org_id == world["org"]
    assert "org.role_changed" in client.get(f"/orgs/{world['org']}/audit").get_data(as_text=True)


def test_the_last_owner_cannot_be_demoted_or_removed(client, world, ctx):
    login(client, "owner@example.jp")
    own = db.session.scalar(select(Membership).where(Membership.user_id == world["owner"]))
    members = f"/orgs/{world['org']}/members"
    demote = post_form(
        client,
        f"{members}/{own.id}/role",
        {"role": "staff"},
        token_from=members,
        follow_redirects=True,
    )
    assert "オーナー" in demote.get_data(as_text=True)
    post_form(client, f"{members}/{own.id}/remove", token_from=members)
    db.session.refresh(own)
    assert own.role is Role.owner


def test_owner_removes_a_member_who_then_sees_nothing(app, world, ctx):
    owner = app.test_client()
    login(owner, "owner@example.jp")
    staff_m = db.session.scalar(select(Membership).where(Membership.user_id == world["staff"]))
    members = f"/orgs/{world['org']}/members"
    post_form(owner, f"{members}/{staff_m.id}/remove", token_from=members)
    staff = app.test_client()
    login(staff, "staff@example.jp")
    assert staff.get(f"/orgs/{world['org']}").status_code == 404


def test_members_of_another_organisation_cannot_touch_this_one(client, world, ctx):
    login(client, "other@example.jp")
    staff_m = db.session.scalar(select(Membership).where(Membership.user_id == world["staff"]))
    assert client.get(f"/orgs/{world['org']}/members").status_code == 404
    response = post_form(
        client, f"/orgs/{world['org']}/members/{staff_m.id}/remove", token_from="/orgs"
    )
    assert response.status_code == 404
    # and an owner cannot reach into another organisation's memberships by id
    other_m = db.session.scalar(select(Membership).where(Membership.user_id == world["other"]))
    client2 = client.application.test_client()
    login(client2, "owner@example.jp")
    response = post_form(
        client2, f"/orgs/{world['org']}/members/{other_m.id}/remove", token_from="/orgs"
    )
    assert response.status_code == 404
    assert db.session.get(Membership, other_m.id) is not None
