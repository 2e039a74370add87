"""Export routes ``/export.<format>`` (issue 4)."""

from flask import Blueprint

bp = Blueprint("export", __name__)
