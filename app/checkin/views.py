"""Pages of check-in: the participant's ticket, and the staff scanner."""

from flask import Blueprint

bp = Blueprint("checkin", __name__)
