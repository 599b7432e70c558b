"""Routes of the participant's ticket, for the authorization matrix."""

from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration
from tests.registration.factories import make_series
from tests.security.matrix import everyone

# Only the holder ("participant" here) and the organisation's organisers/owner see a ticket.
TICKET = {**everyone(404), "anonymous": 302, "participant": 200, "organizer": 200, "owner": 200}

ROWS = [
    ("tickets.ticket", "GET", "/registrations/{ticket_registration}/ticket", None, TICKET),
    ("tickets.ticket_png", "GET", "/registrations/{ticket_registration}/ticket.png", None, TICKET),
    ("tickets.reissue", "POST", "/registrations/{ticket_registration}/ticket/reissue", {},
     {**TICKET, "participant": 302, "organizer": 302, "owner": 302}),
]  # fmt: skip


def targets(app, world):
    with app.app_context():
        from app.accounts.models import User

        series = make_series(world["org"], sessions=[("venue", 5, None)])
        participant = db.session.get(User, world["participant"])
        r = reg.register(series, participant, consent=True)
        return {"ticket_registration": db.session.get(Registration, r.id).id}
