"""``python -m geoapp``: the same CLI as the ``geoapp`` command."""

from geoapp.cli import main

main()
