"""Write a selection to a file: one writer per format family, and the atomic write.

Images (png, svg, pdf) are drawn by :mod:`geoapp.maps.printed.figure`; the standalone page
(html) by :func:`geoapp.maps.leaflet.standalone_html`; data (geojson, gpkg, kml, csv)
carries every attribute and the sources of each selected feature, then (unless
``towns=off``) the towns a map of the box shows (:func:`export_places`), credited to
GeoNames. Formats with no list type get lists and objects as JSON text, so nothing is
lost.

Files are safe to open: a CSV text cell that a spreadsheet would run as a formula
is neutralised (:func:`neutralise`), and KML text is HTML-escaped, since KML
viewers show names and data in HTML balloons (:func:`_kml`).

Every file is written in a private temporary folder next to the target and
renamed into place only when complete: a failed or interrupted export leaves
no partial file and never clobbers the file it was to replace.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import shape

from geoapp.data.catalog import Catalog
from geoapp.data.places import ATTRIBUTION, LICENSE_URL, shown_places
from geoapp.data.query import BBOX_HINT, CASPIAN_BBOX, Query
from geoapp.data.schema import FIELDS
from geoapp.errors import ProviderError, QueryError
from geoapp.maps.printed import figure as render
from geoapp.maps.printed.page import Page

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Format:
    family: str  # "image", "html" or "data"
    #: Media type without parameters: the web answer adds ``charset=utf-8`` to text types.
    mimetype: str
    extension: str
    label: str  # as the map page's Export menu shows it


FORMATS: dict[str, Format] = {
    "png": Format("image", "image/png", ".png", "PNG image"),
    "svg": Format("image", "image/svg+xml", ".svg", "SVG image"),
    "pdf": Format("image", "application/pdf", ".pdf", "PDF"),
    "html": Format("html", "text/html", ".html", "Standalone HTML"),
    "geojson": Format("data", "application/geo+json", ".geojson", "GeoJSON"),
    "gpkg": Format("data", "application/geopackage+sqlite3", ".gpkg", "GeoPackage"),
    "kml": Format("data", "application/vnd.google-earth.kml+xml", ".kml", "KML"),
    "csv": Format("data", "text/csv", ".csv", "CSV"),
}
#: File extensions that name a format (for ``--out`` without ``--format``).
EXTENSIONS: dict[str, str] = {
    **{f.extension: fmt for fmt, f in FORMATS.items()},
    ".htm": "html",
    ".json": "geojson",
}
INT_FIELDS = tuple(f.name for f in FIELDS if f.type == "int")
NUMBER_FIELDS = tuple(f.name for f in FIELDS if f.type == "number")


@dataclass(frozen=True)
class ExportOptions:
    """How an image looks: page size, title and an optional online tile background."""

    page: Page = Page()
    title: str | None = None
    tiles: str | None = None


#: Options that only some format families take (CLI ``--name`` and web ``?name=`` alike).
OPTION_FAMILIES: dict[str, tuple[str, ...]] = {
    "title": ("image", "html"),
    "size": ("image",),
    "preset": ("image",),
    "width": ("image",),
    "height": ("image",),
    "dpi": ("image",),
    "tiles": ("image",),
    # Where the html opens. The web takes them for every format (the Export menu sends the
    # screen's whole state to every link) and images and data show the bbox; the CLI,
    # where they are typed for one file, refuses them where they would change nothing.
    "lat": ("html",),
    "lon": ("html",),
    "zoom": ("html",),
}


class OptionError(QueryError):
    """An option given for a format it means nothing to (``title`` for csv): 400 / exit 2."""

    def __init__(self, option: str, fmt: str, formats: Iterable[str]):
        formats = list(formats)
        super().__init__(option, fmt, formats)
        self.fmt = fmt
        listed = f"{', '.join(formats[:-1])} and {formats[-1]}" if len(formats) > 1 else formats[0]
        self.args = (f"{option} applies to {listed}, not {fmt}",)


def formats_taking(option: str) -> list[str]:
    """The formats an option applies to, in menu order."""
    return [fmt for fmt, f in FORMATS.items() if f.family in OPTION_FAMILIES[option]]


def check_options(fmt: str, given: Iterable[str], prefix: str = "") -> None:
    """Refuse options that ``fmt`` does not take: the one rule of the CLI and the web.

    ``given`` names the options present (without ``prefix``, e.g. ``--``, which only
    goes into the message). Raises OptionError naming the formats the option is for.
    """
    for option in given:
        if FORMATS[fmt].family not in OPTION_FAMILIES[option]:
            raise OptionError(prefix + option, fmt, formats_taking(option))


def format_of(path: str | os.PathLike) -> str | None:
    """The format a file name's extension names, or None."""
    return EXTENSIONS.get(Path(path).suffix.lower())


# -- the atomic write, and what killed exports leave behind -------------------------

#: A temporary folder whose owner cannot be told (or, whatever its owner, one this old)
#: is stale: no export takes this long, so removing it never touches live work.
STALE_AFTER = 3600.0
#: Web exports write in the system temporary folder: ``geoapp-export-<pid>-<random>``.
WEB_TEMP_PREFIX = "geoapp-export-"
#: How often (seconds) a web worker looks for what killed workers left in that folder.
SWEEP_EVERY = 600.0
#: ``.<name>.<pid>-<random>.part`` (CLI) or ``geoapp-export-<pid>-<random>`` (web); the
#: random part is tempfile's (letters, digits, ``_``), so the pid is the last ``<digits>-``.
_TEMP_NAME = re.compile(r"(?:\..+\.|geoapp-export-)(\d+)-[a-z0-9_]+(?:\.part)?")
_last_sweep = -math.inf


def _owner_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (signal 0 only asks)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def is_stale(folder: Path, now: float | None = None) -> bool:
    """Whether a temporary export folder is left over from an export that was killed.

    Its name carries the id of the process that made it: it is stale once that
    process is gone (SIGKILL, OOM killer, a killed gunicorn worker), never while
    it runs. A folder with no readable owner, or older than STALE_AFTER, counts
    as stale by age alone.
    """
    match = _TEMP_NAME.fullmatch(folder.name)
    try:
        age = (time.time() if now is None else now) - folder.lstat().st_mtime
    except FileNotFoundError:
        return False  # already removed by someone else
    if age > STALE_AFTER:
        return True
    if match is None or int(match[1]) == os.getpid():
        return False
    return not _owner_alive(int(match[1]))


def remove_stale(parent: Path, pattern: str) -> list[Path]:
    """Remove the stale temporary folders matching ``pattern`` in ``parent``; return them.

    Called before each CLI export (for ``.*.part`` beside the target) and by web
    workers (for ``geoapp-export-*`` in the system temporary folder), so what a
    killed export left is cleaned by the next one.
    """
    removed = []
    try:
        candidates = list(parent.glob(pattern))
    except OSError:
        return removed
    for folder in candidates:
        if folder.is_dir() and not folder.is_symlink() and is_stale(folder):
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                log.info("removed %s, left by an interrupted export", folder)
                removed.append(folder)
    return removed


def sweep_web_temp(force: bool = False) -> list[Path]:
    """Remove stale ``geoapp-export-*`` folders, at most once per SWEEP_EVERY per process."""
    global _last_sweep
    now = time.monotonic()
    if not force and now - _last_sweep < SWEEP_EVERY:
        return []
    _last_sweep = now
    return remove_stale(Path(tempfile.gettempdir()), f"{WEB_TEMP_PREFIX}*")


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh path to write; rename it onto ``target`` only if the block succeeds.

    The path lies in a private folder beside the target (same file system, so the
    rename is atomic; same name, so drivers that go by the extension are happy;
    side files such as SQLite journals stay in it). On any error, including
    KeyboardInterrupt, the folder is removed and the target is left as it was.
    A SIGKILL leaves the folder (``.<name>.<pid>-<random>.part``); the next export
    to the same folder removes it (:func:`remove_stale`).
    """
    target = Path(target)
    remove_stale(target.parent, ".*.part")
    folder = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}-", suffix=".part", dir=target.parent)
    )
    try:
        path = folder / target.name
        yield path
        if not path.is_file():
            raise RuntimeError(f"the exporter wrote nothing to {path.name}")
        with open(path, "rb") as f:
            os.fsync(f.fileno())
        os.replace(path, target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def export_query(query: Query, fmt: str | None = None) -> Query:
    """What an export shows: the query with its box (the Caspian region by default).

    An export is of a view, so its box may not be flat (a map of a line is no map).
    The box frames an image and clips the data; the centre and zoom of the screen
    (``lat``, ``lon``, ``zoom``) are where the standalone html opens. Given ``fmt``,
    they are kept for the html only, so that an image or a data file of one box is one
    file (and one cache entry) whatever the screen's centre was.
    """
    if fmt is not None and FORMATS[fmt].family != "html":
        query = query.replace(centre=None, zoom=None)
    if query.bbox is None:
        return query.replace(bbox=CASPIAN_BBOX, feature=None)
    minx, miny, maxx, maxy = query.bbox
    if not (minx < maxx and miny < maxy):
        raw = ",".join(f"{v:g}" for v in query.bbox)
        raise QueryError("bbox", raw, f"{BBOX_HINT}, min < max")
    return query.replace(feature=None)


def write_export(
    catalog: Catalog,
    selection: Query,
    fmt: str,
    target: str | os.PathLike,
    options: ExportOptions = ExportOptions(),
) -> Path:
    """Write the selection as ``fmt`` to ``target``, atomically; return the target."""
    writer = WRITERS[FORMATS[fmt].family]
    with atomic_path(target) as path:
        writer(catalog, selection, fmt, path, options)
    return Path(target)


def export_bytes(
    catalog: Catalog,
    selection: Query,
    fmt: str,
    options: ExportOptions = ExportOptions(),
    guard: Callable[[], AbstractContextManager] = nullcontext,
) -> bytes:
    """Return the export as bytes (for the web), written through the same writers.

    ``guard`` is entered around an image's expensive drawing (the web's export
    budget, :mod:`geoapp.export.budget`). The temporary folder is named after this
    process, so that another worker can tell, after this one is killed, that it is
    stale (:func:`sweep_web_temp`).
    """
    sweep_web_temp()
    prefix = f"{WEB_TEMP_PREFIX}{os.getpid()}-"
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        path = Path(folder) / f"export{FORMATS[fmt].extension}"
        if FORMATS[fmt].family == "image":
            write_image(catalog, selection, fmt, path, options, guard=guard)
        else:
            WRITERS[FORMATS[fmt].family](catalog, selection, fmt, path, options)
        return path.read_bytes()


# -- writers, one per family ---------------------------------------------------------


def write_image(
    catalog: Catalog,
    selection: Query,
    fmt: str,
    path: Path,
    options: ExportOptions,
    guard: Callable[[], AbstractContextManager] = nullcontext,
) -> None:
    """PNG, SVG or PDF, drawn by render.py (``guard`` around the drawing)."""
    render.render_map(
        catalog,
        selection,
        str(path),
        fmt,
        page=options.page,
        title=options.title,
        tiles=options.tiles,
        guard=guard,
    )


def write_html(
    catalog: Catalog, selection: Query, fmt: str, path: Path, options: ExportOptions
) -> None:
    """One self-contained page, built by the web map's own builder."""
    from geoapp.maps.leaflet import standalone_html

    html = standalone_html(catalog, selection, title=options.title)
    path.write_text(html, encoding="utf-8")


def write_data(
    catalog: Catalog, selection: Query, fmt: str, path: Path, options: ExportOptions
) -> None:
    """GeoJSON, GeoPackage, KML or CSV of the selected features, then the box's towns."""
    selected = catalog.query(selection)
    places = export_places(catalog, selection, options.page)
    if places:
        selected = {**selected, PLACES_LAYER: places}
    DATA_WRITERS[fmt](catalog, selected, path)


#: The name of the towns' collection in a data export: a table, folder or ``layer`` value.
PLACES_LAYER = "places"
#: Integer columns of a place (kept whole where a format would make them floats).
PLACE_INT_FIELDS = ("geonameid", "population", "class")


def export_places(
    catalog: Catalog, selection: Query, page: Page = render.DEFAULT_PAGE
) -> list[dict]:
    """The towns a map of the export's box shows, as features of the ``places`` layer.

    The one rule (:func:`geoapp.data.places.rule`) at the zoom the printed map of the
    box uses (:func:`geoapp.maps.printed.figure.towns_zoom`): the same towns
    ``/api/places`` answers for that box and zoom, most populous first. Each carries
    its GeoNames id, name, country (ISO 3166-1 alpha-2, as GeoNames gives it),
    population, population class, GeoNames' alternate names and the credit its
    licence asks for. None with
    ``towns=off``, and none (logged, not an error) when the provider has no places: the
    export of the features is still whole.
    """
    if not selection.towns or selection.bbox is None:
        return []
    zoom = render.towns_zoom(selection.bbox, page)
    try:
        features = shown_places(catalog, selection.bbox, zoom, full=True)
    except ProviderError as exc:
        log.warning("exporting without towns: the places are not available (%s)", exc)
        return []
    places = []
    for feature in features:
        props = feature["properties"]
        places.append({
            "type": "Feature",
            "geometry": feature["geometry"],
            "properties": {
                "id": f"place-{props['id']}",
                "name": props["name"],
                "layer": PLACES_LAYER,
                "country": props["country"],
                "geonameid": props["id"],
                "population": props["population"],
                "class": props["class"],
                "alternatenames": props["alternatenames"],
                "attribution": ATTRIBUTION,
            },
        })  # fmt: skip
    return places


WRITERS: dict[str, Callable[[Catalog, Query, str, Path, ExportOptions], None]] = {
    "image": write_image,
    "html": write_html,
    "data": write_data,
}


def cited_sources(catalog: Catalog, features: list[dict]) -> dict[str, dict]:
    """The sources table entries cited by these features."""
    ids = dict.fromkeys(
        s["article"] for f in features for s in f["properties"].get("sources") or ()
    )
    return {i: catalog.sources[i] for i in ids if i in catalog.sources}


def _geojson(catalog: Catalog, selected: dict[str, list[dict]], path: Path) -> None:
    """Features as authored (lists stay lists), plus the sources they cite."""
    features = [f for fs in selected.values() for f in fs]
    doc = {
        "type": "FeatureCollection",
        "features": features,
        "sources": cited_sources(catalog, features),
    }
    if selected.get(PLACES_LAYER):  # GeoNames' licence: credit travels with the data
        doc.update(attribution=ATTRIBUTION, license=LICENSE_URL)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


def attribute_table(features: list[dict]) -> gpd.GeoDataFrame:
    """Every schema field as a column (then any others), lists and objects as JSON text."""
    names = [f.name for f in FIELDS]
    for feature in features:
        names += [k for k in feature["properties"] if k not in names]
    rows = [
        {name: _cell(feature["properties"].get(name)) for name in names} for feature in features
    ]
    frame = pd.DataFrame(rows, columns=names)
    for name in INT_FIELDS:
        frame[name] = frame[name].astype("Int64")
    for name in PLACE_INT_FIELDS:  # a town's numbers, whole beside features' blanks
        if name in frame.columns:
            frame[name] = frame[name].astype("Int64")
    for name in NUMBER_FIELDS:
        frame[name] = pd.to_numeric(frame[name]).astype("float64")
    geometry = [shape(f["geometry"]) for f in features]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def _cell(value):
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def place_table(places: list[dict]) -> gpd.GeoDataFrame:
    """The towns' own columns only (:func:`export_places`), not the features' schema."""
    frame = pd.DataFrame([{k: _cell(v) for k, v in p["properties"].items()} for p in places])
    for name in PLACE_INT_FIELDS:
        frame[name] = frame[name].astype("Int64")
    geometry = [shape(p["geometry"]) for p in places]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def _tables(selected: dict[str, list[dict]]) -> list[tuple[str, gpd.GeoDataFrame]]:
    """One table per layer with features (the towns' with their own columns); an empty
    ``features`` table if none has any."""
    tables = [
        (layer, place_table(fs) if layer == PLACES_LAYER else attribute_table(fs))
        for layer, fs in selected.items()
        if fs
    ]
    return tables or [("features", attribute_table([]))]


def _gpkg(catalog: Catalog, selected: dict[str, list[dict]], path: Path) -> None:
    """One GeoPackage table per layer."""
    for layer, table in _tables(selected):
        pyogrio.write_dataframe(table, path, layer=layer, driver="GPKG")


def _kml(catalog: Catalog, selected: dict[str, list[dict]], path: Path) -> None:
    """One KML folder per layer; ``name`` and ``id`` become the placemark's name and id.

    Every text value is HTML-escaped (``&``, ``<``, ``>``): Google Earth and other
    viewers render names and data as HTML in their balloons, so a name such as
    ``<img src=x onerror=...>`` would run there. Escaped, it shows as typed; a GIS
    reading the file back gets the escaped text (``&amp;`` for ``&``).
    """
    for i, (layer, table) in enumerate(_tables(selected)):
        for column in table.columns:
            if column != "geometry" and not pd.api.types.is_numeric_dtype(table[column]):
                table[column] = table[column].map(_html_text)
        pyogrio.write_dataframe(table, path, layer=layer, driver="LIBKML", append=i > 0)


def _html_text(value):
    return html.escape(value, quote=False) if isinstance(value, str) else value


#: First characters that make a spreadsheet (Excel, LibreOffice, Sheets) read a cell
#: as a formula: OWASP's list for CSV injection.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text``, with a leading ``'`` if a spreadsheet would run it as a formula.

    Only text cells come here: numbers (``length_km`` of ``-12.5``) stay numbers.
    The quote makes the spreadsheet show the cell as text; the cell is also
    written quoted (:func:`csv_field`), as OWASP recommends.
    """
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_field(value: object) -> str:
    """One CSV field: empty for a missing value, numbers as they are, text quoted when
    it holds a comma, a quote or a line break, or when it was neutralised."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if not isinstance(value, str):
        return str(value)
    safe = neutralise(value)
    if safe is not value or any(c in safe for c in ',"\r\n'):
        return '"' + safe.replace('"', '""') + '"'
    return safe


def _csv(catalog: Catalog, selected: dict[str, list[dict]], path: Path) -> None:
    """One row per feature, geometry as WKT in the ``WKT`` column (GDAL reads it back).

    Text cells that start like a formula are neutralised (:func:`neutralise`).
    """
    features = [f for fs in selected.values() for f in fs]
    table = attribute_table(features)
    columns = [c for c in table.columns if c != "geometry"]
    lines = [",".join(csv_field(c) for c in ["WKT", *columns])]
    wkt = shapely.to_wkt(table.geometry.values, rounding_precision=7, trim=True)
    for text, row in zip(wkt, table[columns].itertuples(index=False), strict=True):
        lines.append(",".join(csv_field(v) for v in (text, *row)))
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


DATA_WRITERS: dict[str, Callable[[Catalog, dict[str, list[dict]], Path], None]] = {
    "geojson": _geojson,
    "gpkg": _gpkg,
    "kml": _kml,
    "csv": _csv,
}
