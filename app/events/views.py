"""Organiser pages for series and sessions (under /orgs/<org_id>/series)."""

from flask import Blueprint

bp = Blueprint("events", __name__)
