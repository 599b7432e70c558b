"""The participant's ticket page, its QR image and re-issuing it."""

import io

import PIL.Image
import zxingcpp

from app.checkin import services as checkin
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration
from tests.conftest import create_user, login, post_form
from tests.registration.factories import make_series


def _registration(world, email="hanako@example.jp", **kw):
    series = make_series(world["org"], sessions=[("hybrid", 5, 5), ("online", None, 10)], **kw)
    r = reg.register(series, create_user(email), mode="venue", consent=True)
    return db.session.get(Registration, r.id)


def test_owner_sees_ticket_with_name_sessions_and_a_qr_that_decodes(client, world, ctx):
    r = _registration(world)
    login(client, "hanako@example.jp")
    page = client.get(f"/registrations/{r.id}/ticket").get_data(as_text=True)
    assert "山田 花子" in page and "やまだ はなこ" in page
    assert "第1回" in page and "第2回" in page
    png = client.get(f"/registrations/{r.id}/ticket.png")
    assert png.mimetype == "image/png" and "no-store" in png.headers["Cache-Control"]
    decoded = zxingcpp.read_barcode(PIL.Image.open(io.BytesIO(png.data))).text
    assert decoded == checkin.valid_ticket(r).secret
    download = client.get(f"/registrations/{r.id}/ticket.png?download=1")
    assert "attachment" in download.headers["Content-Disposition"]


def test_others_cannot_see_a_ticket_but_organisers_can(app, world, ctx):
    r = _registration(world)
    stranger = app.test_client()
    login(stranger, "participant@example.jp")
    assert stranger.get(f"/registrations/{r.id}/ticket").status_code == 404
    assert stranger.get(f"/registrations/{r.id}/ticket.png").status_code == 404
    other_org = app.test_client()
    login(other_org, "other@example.jp")
    assert other_org.get(f"/registrations/{r.id}/ticket.png").status_code == 404
    organizer = app.test_client()
    login(organizer, "organizer@example.jp")
    assert organizer.get(f"/registrations/{r.id}/ticket").status_code == 200


def test_no_ticket_while_waiting(client, world, ctx):
    series = make_series(world["org"], sessions=[("venue", 1, None)])
    reg.register(series, create_user("first@example.jp"), consent=True)
    waiting = reg.register(series, create_user("hanako@example.jp"), consent=True)
    login(client, "hanako@example.jp")
    assert client.get(f"/registrations/{waiting.id}/ticket").status_code == 404


def test_reissue_gives_a_new_secret_and_revokes_the_old(client, world, ctx):
    r = _registration(world)
    old = checkin.valid_ticket(r).secret
    login(client, "hanako@example.jp")
    post_form(
        client, f"/registrations/{r.id}/ticket/reissue", token_from=f"/registrations/{r.id}/ticket"
    )
    db.session.expire_all()
    new = checkin.valid_ticket(db.session.get(Registration, r.id)).secret
    assert new != old
    verdict = checkin.decide(r.series.sessions[0], None, secret=old)
    assert verdict.reason.value in ("revoked", "too_early")


def test_confirmation_email_carries_the_ticket_qr_but_a_waitlist_email_does_not(world, ctx, smtp):
    series = make_series(world["org"], sessions=[("venue", 1, None)])
    confirmed = reg.register(series, create_user("first@example.jp"), consent=True)
    reg.register(series, create_user("second@example.jp"), consent=True)  # waits
    first_mail = next(m for m in smtp if m["To"] == "first@example.jp")
    pngs = [p for p in first_mail.iter_attachments() if p.get_content_type() == "image/png"]
    assert len(pngs) == 1
    decoded = zxingcpp.read_barcode(PIL.Image.open(io.BytesIO(pngs[0].get_content()))).text
    assert decoded == checkin.valid_ticket(db.session.get(Registration, confirmed.id)).secret
    second_mail = next(m for m in smtp if m["To"] == "second@example.jp")
    assert not [p for p in second_mail.iter_attachments() if p.get_content_type() == "image/png"]
