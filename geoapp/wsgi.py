"""The WSGI entry point for production servers: ``gunicorn geoapp.wsgi:app``.

Configuration comes from ``GEOAPP_*`` environment variables. Bad data or a bad
setting stops the worker with the validator's one-line messages and exit status 3,
gunicorn's "worker failed to boot", so that the master stops instead of
respawning workers that cannot start, and no traceback is printed.
"""

from geoapp.cli import create_or_exit

WORKER_BOOT_ERROR = 3

app = create_or_exit({}, status=WORKER_BOOT_ERROR)
