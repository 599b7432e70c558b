"""Participant pages: the public series list and page, registering, 申込一覧, calendars."""

from flask import Blueprint

bp = Blueprint("registration", __name__)
