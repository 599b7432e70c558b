"""The public portal (search, organisation and prefecture pages, feeds of a search), for the
authorization matrix: open to everyone; an organisation without a published series and an
unknown prefecture do not exist."""

from tests.registration.factories import make_series
from tests.security.matrix import PUBLIC, everyone

ROWS = [
    ("registration.series_atom", "GET", "/series/feed.atom?q=講座", None, PUBLIC),
    ("registration.series_ics", "GET", "/series/feed.ics?prefecture=32", None, PUBLIC),
    ("portal.portal_series", "GET", "/api/v1/portal/series?prefecture=32", None, PUBLIC),
    ("portal.portal_series", "GET", "/api/v1/portal/series?prefecture=99", None, everyone(422)),
    ("portal.portal_prefectures", "GET", "/api/v1/portal/prefectures", None, PUBLIC),
    ("registration.org_page", "GET", "/o/{portal_org}", None, PUBLIC),
    ("registration.org_page", "GET", "/o/999999", None, everyone(404)),
    ("registration.prefecture_page", "GET", "/prefectures/32", None, PUBLIC),
    ("registration.prefecture_page", "GET", "/prefectures/99", None, everyone(404)),
]  # fmt: skip


def targets(app, world):
    with app.app_context():
        make_series(world["org"], title="ポータルの講座", prefecture="32")
    return {"portal_org": world["org"]}
