"""The WSGI entry point for production servers: ``gunicorn geoapp.wsgi:app``.

Configuration comes from ``GEOAPP_*`` environment variables. A bad setting or
bad data stops the process that loads the app with one line per problem and exit
status 3: gunicorn's master under the production settings (``geoapp.deploy.gunicorn``,
which preloads), else a worker, gunicorn's "worker failed to boot", so the master
stops too (see create_app).
"""

from geoapp import create_app

app = create_app()
