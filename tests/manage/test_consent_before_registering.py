"""An organiser who adds someone by email never registers, reads or reveals an existing
account: the list shows what they typed, and the person confirms by a mailed link (logged in,
one click) before the registration becomes part of their account."""

import csv
import io
import re
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.events import services as events
from app.events.models import Series
from app.extensions import db
from app.mail.models import OutgoingMail
from app.registration import services as reg
from app.registration.models import Registration, RegistrationStatus
from tests.conftest import create_org, create_user, login, post_form
from tests.registration.factories import make_series

TYPED = {
    "name": "適当 な名前",
    "furigana": "てきとう ななまえ",
    "prefecture": "32",
    "relations": [],
    "consent": "y",
}
LINK = re.compile(r"https?://[^/\s]+(/registrations/invitations/[^\s]+)")


def _attacker(app):
    """A second organisation, made by a new sign-up (organisation creation is self-service)."""
    with app.app_context():
        me = create_user("attacker@example.jp", name="攻撃 者", furigana="こうげき しゃ")
        org = create_org("あやしい団体", owner=me)
        series = make_series(org.id, title="あやしい講座", sessions=[("venue", 5, None)])
        events.set_questions(series, [{"kind": "text", "label": "メモ"}])
        db.session.commit()
        client = app.test_client()
        login(client, "attacker@example.jp")
        return client, org.id, series.id


def _add(client, org_id, series_id, **data):
    path = f"/orgs/{org_id}/series/{series_id}/participants/new"
    return post_form(client, path, {**TYPED, **data}, token_from=path)


def _csv(client, org_id, series_id) -> list[list[str]]:
    data = post_form(client, f"/orgs/{org_id}/series/{series_id}/participants.csv").get_data()
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _flash_after(client, response) -> str:
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.search(r'<p class="flash flash-success">(.*?)</p>', html, re.S)[1].strip()


def _invitation_path(address: str) -> str:
    mail = db.session.scalar(
        select(OutgoingMail).where(OutgoingMail.recipient == address).order_by(OutgoingMail.id)
    )
    assert mail is not None, f"no mail to {address}"
    return LINK.search(mail.body)[1]


def test_adding_an_existing_accounts_email_shows_only_what_the_organiser_typed(app, world):
    client, org_id, series_id = _attacker(app)
    added = _add(client, org_id, series_id, email="participant@example.jp")
    assert added.status_code == 302
    rows = _csv(client, org_id, series_id)
    assert len(rows) == 2
    text = "\n".join(",".join(row) for row in rows)
    assert "適当 な名前" in text and "島根県" in text and "participant@example.jp" in text
    assert "山田 花子" not in text and "やまだ はなこ" not in text and "東京都" not in text
    page = client.get(f"/orgs/{org_id}/series/{series_id}/participants").get_data(as_text=True)
    assert "適当 な名前" in page and "山田 花子" not in page and "やまだ" not in page
    with app.app_context():
        # the account is not registered, and the mail it gets asks first
        assert not reg.user_registrations(db.session.get(User, world["participant"]))
        mail = db.session.scalar(
            select(OutgoingMail).where(OutgoingMail.recipient == "participant@example.jp")
        )
        assert "/registrations/invitations/" in mail.body and "山田 花子" not in mail.body
    # nor can the organisation write to the account other than at the address it typed
    message = f"/orgs/{org_id}/series/{series_id}/messages"
    post_form(
        client,
        message,
        {"subject": "お知らせ", "body": "こんにちは"},
        token_from=f"/orgs/{org_id}/series/{series_id}/participants",
    )
    with app.app_context():
        sent = db.session.scalars(
            select(OutgoingMail).where(OutgoingMail.subject == "お知らせ")
        ).all()
        assert [m.recipient for m in sent] == ["participant@example.jp"]
        assert "山田 花子" not in sent[0].body


def test_the_answer_never_tells_whether_an_account_has_the_address(app, world):
    client, org_id, series_id = _attacker(app)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
    known = _add(client, org_id, series_id, email="participant@example.jp")
    said_known = _flash_after(client, known).replace("participant@example.jp", "ADDRESS")
    unknown = _add(client, org_id, series_id, email="nobody-here@example.jp")
    said_unknown = _flash_after(client, unknown).replace("nobody-here@example.jp", "ADDRESS")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert said_known == said_unknown and "適当 な名前" in said_known
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == before + 2
        bodies = [
            db.session.scalar(select(OutgoingMail.body).where(OutgoingMail.recipient == a))
            for a in ("participant@example.jp", "nobody-here@example.jp")
        ]
        strip = [LINK.sub("LINK", b) for b in bodies]
        assert strip[0] == strip[1]


def test_the_person_confirms_by_the_link_and_the_registration_joins_their_account(app, world):
    client, org_id, series_id = _attacker(app)
    with app.app_context():
        question = str(db.session.get(Series, series_id).questions[0].id)
    _add(client, org_id, series_id, email="participant@example.jp", **{f"q_{question}": "電話"})
    with app.app_context():
        path = _invitation_path("participant@example.jp")
    person = app.test_client()
    # not logged in: log in first, then back to the link
    anonymous = person.get(path)
    assert anonymous.status_code == 302
    location = urlsplit(anonymous.headers["Location"])
    assert location.path == "/login" and unquote(location.query) == f"next={path}"
    logged_in = post_form(
        person,
        anonymous.headers["Location"],
        {"email": "participant@example.jp", "password": "correct-horse-9"},
        token_from="/login",
    )
    assert logged_in.headers["Location"] == path
    page = person.get(path)
    assert page.status_code == 200 and "あやしい講座" in page.get_data(as_text=True)
    with app.app_context():
        assert not reg.user_registrations(db.session.get(User, world["participant"]))  # a GET
    confirmed = post_form(person, path, token_from=path)
    assert confirmed.status_code == 302
    with app.app_context():
        (registration,) = reg.user_registrations(db.session.get(User, world["participant"]))
        assert registration.series_id == series_id and registration.answers == {question: "電話"}
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
        audit = db.session.scalar(
            select(AuditEvent).where(AuditEvent.event == "registration.invitation_confirmed")
        )
        assert audit.actor_id == world["participant"]
        assert audit.details["registration_ids"] == [registration.id]
    # now, and only now, the organiser sees the person's own profile
    text = "\n".join(",".join(row) for row in _csv(client, org_id, series_id))
    assert "山田 花子" in text and "適当 な名前" not in text
    # the link was used
    again = person.get(path)
    assert again.status_code == 400 and 'data-testid="invitation-error"' in again.get_data(
        as_text=True
    )


def test_without_an_account_the_link_leads_through_sign_up_to_the_confirmation(app, world):
    client, org_id, series_id = _attacker(app)
    _add(client, org_id, series_id, email="new-person@example.jp")
    with app.app_context():
        path = _invitation_path("new-person@example.jp")
    person = app.test_client()
    login_page = person.get(person.get(path).headers["Location"]).get_data(as_text=True)
    signup = re.search(r'href="(/signup\?next=[^"]+)"', login_page)[1].replace("&amp;", "&")
    created = post_form(
        person,
        signup,
        {
            "email": "new-person@example.jp",
            "password": "shimane-2026-ok",
            "name": "新田 はじめ",
            "furigana": "にった はじめ",
            "prefecture": "32",
            "consent": "y",
        },
        token_from=signup,
    )
    assert created.status_code == 302 and created.headers["Location"] == path
    assert post_form(person, path, token_from=path).status_code == 302
    with app.app_context():
        me = db.session.scalar(select(User).where(User.email == "new-person@example.jp"))
        (registration,) = reg.user_registrations(me)
        assert registration.series_id == series_id
        assert registration.status is RegistrationStatus.confirmed


def test_confirming_is_refused_naming_the_series_when_already_registered(app, world):
    client, org_id, series_id = _attacker(app)
    _add(client, org_id, series_id, email="second-address@example.jp")
    with app.app_context():
        path = _invitation_path("second-address@example.jp")
        participant = db.session.get(User, world["participant"])
        reg.register(db.session.get(Series, series_id), participant, consent=True)
    person = app.test_client()
    login(person, "participant@example.jp")
    refused = post_form(person, path, token_from=path)
    assert refused.status_code == 302
    said = person.get(refused.headers["Location"]).get_data(as_text=True)
    assert "あやしい講座" in said
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 2
        assert len(reg.user_registrations(db.session.get(User, world["participant"]))) == 1


def test_a_forged_or_expired_link_is_refused(app, world, monkeypatch):
    from app.registration import invitations

    client, org_id, series_id = _attacker(app)
    _add(client, org_id, series_id, email="participant@example.jp")
    with app.app_context():
        path = _invitation_path("participant@example.jp")
    person = app.test_client()
    login(person, "participant@example.jp")
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert person.get(forged).status_code == 400
    assert post_form(person, forged, token_from="/account").status_code == 400
    monkeypatch.setattr(invitations, "INVITATION_DAYS", -1)
    assert person.get(path).status_code == 400
    with app.app_context():
        assert not reg.user_registrations(db.session.get(User, world["participant"]))
