"""Participant pages of registration (series, registering, 申込一覧, calendars), for the
authorization matrix."""

from app.accounts.models import User
from app.extensions import db
from app.registration import calendar, invitations
from app.registration import manage_services as manage
from app.registration import services as reg
from tests.registration.factories import make_series
from tests.security.matrix import PUBLIC, USER, everyone


def own(ok):
    """Only the person whose registration it is; everyone else is told it does not exist."""
    return {**everyone(404), "anonymous": 302, "participant": ok}


REGISTRATION = "/registrations/{reg_registration}"

ROWS = [
    ("registration.series_list", "GET", "/series", None, PUBLIC),
    ("registration.series_page", "GET", "/series/{reg_series}", None, PUBLIC),
    ("registration.series_page", "GET", "/series/{reg_draft}", None, everyone(404)),
    ("registration.session_page", "GET", "/sessions/{reg_session}", None, PUBLIC),
    ("registration.session_page", "GET", "/sessions/{reg_draft_session}", None, everyone(404)),
    ("registration.series_calendar", "GET", "/series/{reg_series}/calendar.ics", None, PUBLIC),
    ("registration.series_calendar", "GET", "/series/{reg_draft}/calendar.ics", None,
     everyone(404)),
    ("registration.register", "GET", "/series/{reg_open}/register", None, USER),
    ("registration.register", "GET", "/series/{reg_draft}/register", None,
     {**everyone(404), "anonymous": 302}),
    ("registration.my_registrations", "GET", "/registrations", None, USER),
    ("registration.claim", "GET", "/registrations/claim", None, USER),
    ("registration.claim", "POST", "/registrations/claim", {"code": "ABCDE-23456"},
     {**everyone(422), "anonymous": 302}),
    # the link mailed to someone an organiser added: whoever holds it, logged in, may confirm
    ("registration.invitation", "GET", "/registrations/invitations/{reg_invitation}", None, USER),
    ("registration.invitation", "GET", "/registrations/invitations/forged", None,
     {**everyone(400), "anonymous": 302}),
    ("registration.registration_detail", "GET", REGISTRATION, None, own(200)),
    ("registration.confirmation", "GET", REGISTRATION + "/confirmation", None, own(200)),
    ("registration.switch_mode", "POST", REGISTRATION + "/sessions/{reg_session}/mode",
     {"mode": "online"}, own(302)),
    # 「この回に申し込む」 (the session is held already: the owner's press changes nothing)
    ("registration.add_session", "POST", REGISTRATION + "/sessions/{reg_session}/book", {},
     own(302)),
    ("registration.cancel_session", "POST", REGISTRATION + "/sessions/{reg_session}/cancel", {},
     own(302)),
    ("registration.cancel_registration", "POST", REGISTRATION + "/cancel", {}, own(302)),
    ("registration.calendar_settings", "GET", "/account/calendar", None, USER),
    # the feed's signed address is the key: calendar apps cannot log in
    ("registration.private_calendar", "GET", "/calendar/{reg_feed_token}.ics", None, PUBLIC),
    ("registration.reset_calendar", "POST", "/account/calendar/reset", {}, everyone(302)),
]  # fmt: skip


def targets(app, world):
    """A hybrid series the participant registered for, another open one, and a draft."""
    with app.app_context():
        participant = db.session.get(User, world["participant"])
        series = make_series(
            world["org"], title="申込ページの講座", sessions=[("hybrid", 5, 5)] * 2
        )
        registration = reg.register(series, participant, mode="venue", consent=True)
        draft = make_series(world["org"], title="下書き", published=False)
        added = manage.add_participant(
            series,
            db.session.get(User, world["organizer"]),
            {"name": "電話 花子", "furigana": "でんわ はなこ", "prefecture": "32",
             "relations": [], "email": "phone@example.jp"},
            modes={s.id: "venue" for s in series.sessions},
            consent=True,
        )  # fmt: skip
        return {
            "reg_invitation": invitations.invitation_token(added.user),
            "reg_series": series.id,
            "reg_session": series.sessions[0].id,
            "reg_registration": registration.id,
            "reg_open": make_series(world["org"], title="未申込の講座").id,
            "reg_draft": draft.id,
            "reg_draft_session": draft.sessions[0].id,
            "reg_feed_token": calendar.feed_token(participant),
        }
