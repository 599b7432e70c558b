"""API: series and sessions."""

from flask_smorest import Blueprint

blp = Blueprint("api_events", __name__, description="Series (連続講座) and sessions (回)")
