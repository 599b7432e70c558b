"""API: tickets and venue check-in."""

from flask_smorest import Blueprint

blp = Blueprint("api_checkin", __name__, description="Tickets and check-in (受付)")
