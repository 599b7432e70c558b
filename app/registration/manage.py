"""Organiser pages for participants: lists, CSV, adding by hand, emailing a group, lottery."""

from flask import Blueprint

bp = Blueprint("manage", __name__)
