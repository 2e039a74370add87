"""The map page at ``/`` (issue 3)."""

from flask import Blueprint

bp = Blueprint("map", __name__)
