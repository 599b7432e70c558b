"""API: registrations."""

from flask_smorest import Blueprint

blp = Blueprint("api_registration", __name__, description="Registrations (申込)")
