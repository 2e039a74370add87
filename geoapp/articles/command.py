"""``geoapp ingest``: the command's work, kept out of ``geoapp.cli`` (which only wires it)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from geoapp.articles.ingest import ArticleError, ingest_files
from geoapp.articles.store import instance_dir

#: Exit statuses: refused input is a usage error (2), as elsewhere in the CLI.
REFUSED, BAD_DATA, UNUSABLE = 2, 1, 3


def run(paths: Sequence[Path], config: Mapping[str, Any]) -> int:
    """Ingest ``paths``; print what was linked; return the exit status.

    Every file is checked first: one refused file is one line on stderr and nothing
    is written (the database is not even created).
    """
    from geoapp import load_catalog
    from geoapp.errors import BackendError, DataError

    try:
        catalog = load_catalog(config)
    except DataError as exc:
        click.echo(str(exc), err=True)
        click.echo("geoapp: error: the data does not validate", err=True)
        return BAD_DATA
    except BackendError as exc:
        click.echo(f"geoapp: error: {exc}", err=True)
        return UNUSABLE
    instance = instance_dir()
    try:
        reports = ingest_files(paths, catalog, instance)
    except ArticleError as exc:
        click.echo(f"geoapp: error: {exc}", err=True)
        return REFUSED
    for report in reports:
        for line in report.lines():
            click.echo(line)
    click.echo(f"geoapp: {len(reports)} article(s) in {instance / 'articles.sqlite3'}", err=True)
    return 0


def exit_with(status: int) -> None:
    """Leave with ``status`` (0 returns)."""
    if status:
        sys.exit(status)
