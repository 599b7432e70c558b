"""Participant pages: the public series list and page, registering, 申込一覧, calendars.

One blueprint ("registration", in blueprint.py), its routes in two modules: browse_views
(series, sessions, calendars) and booking_views (registering, the person's registrations).
"""

from app.registration import booking_views, browse_views, portal_views  # noqa: F401 -- their routes
from app.registration.blueprint import bp

__all__ = ["bp"]
