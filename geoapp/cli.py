"""The ``geoapp`` command: ``serve`` (the default), ``validate`` and ``export``.

Errors are one line on stderr: exit 2 for a bad command line, 1 for bad data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from geoapp.config import DEFAULTS, ConfigError


class DefaultGroup(click.Group):
    """A group whose default command is ``serve``, as in Datasette."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0].startswith("-") and args[0] not in ("--help", "-h")):
            args = ["serve", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="geoapp")
def cli() -> None:
    """Web map of Russia–Turkmenistan cooperation in the Caspian region."""


@cli.command()
@click.option(
    "--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1"
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=lambda: int(os.environ.get("PORT", "5000")),
    show_default="5000",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory of layer files (default: the bundled geodata/).",
)
@click.option("--debug/--no-debug", default=False, help="Flask debug mode (never in production).")
def serve(host: str, port: int, data_dir: Path | None, debug: bool) -> None:
    """Serve the web map (development server; use gunicorn in production)."""

    config = {"DEBUG": debug}
    if data_dir is not None:
        config["DATA_DIR"] = str(data_dir)
    app = _create_or_exit(config)
    click.echo(f"geoapp: serving the map on http://{host}:{port}/", err=True)
    app.run(host=host, port=port, debug=debug, use_reloader=False, threaded=True)


@cli.command()
@click.argument(
    "data_dir", required=False, type=click.Path(path_type=Path), default=DEFAULTS["DATA_DIR"]
)
def validate(data_dir: Path) -> None:
    """Check DATA_DIR's layer files; print each problem as FILE: FEATURE-ID: what."""
    from geoapp.validate import validate_dir

    problems = validate_dir(data_dir)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {data_dir}", err=True)
        sys.exit(1)
    click.echo(f"{data_dir}: valid", err=True)


def _create_or_exit(config: dict):
    """Create the app, or exit 1 with the data problems as one line each."""
    from geoapp import create_app
    from geoapp.catalog import DataError

    try:
        return create_app(config)
    except DataError as exc:
        click.echo(str(exc), err=True)
        click.echo("geoapp: refusing to start: the data does not validate", err=True)
        sys.exit(1)
    except ConfigError as exc:
        click.echo(f"geoapp: {exc}", err=True)
        sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; usage errors are one line and exit 2."""
    try:
        cli.main(args=argv, prog_name="geoapp", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("geoapp: aborted", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        click.echo(f"geoapp: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"geoapp: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
