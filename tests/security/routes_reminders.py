"""Reminders: the organisation's settings (the day-before time) and a series' reminders page,
for the authorization matrix. Organisers and owners only."""

from tests.registration.factories import make_series
from tests.security.routes_events import organizers

ROWS = [
    ("orgs.settings", "GET", "/orgs/{org}/settings", None, organizers(200)),
    ("orgs.settings", "POST", "/orgs/{org}/settings", {"reminder_time": "19:00"},
     organizers(302)),
    ("reminders.series_reminders", "GET", "/orgs/{org}/series/{rm_series}/reminders", None,
     organizers(200)),
    # a series of another organisation, through this one: not found even for its organisers
    ("reminders.series_reminders", "GET", "/orgs/{org}/series/{rm_foreign}/reminders", None,
     {**organizers(404), "staff": 403}),
]  # fmt: skip


def targets(app, world):
    with app.app_context():
        return {
            "rm_series": make_series(world["org"], title="リマインドのある講座").id,
            "rm_foreign": make_series(world["other_org"], title="ほかの団体の講座").id,
        }
