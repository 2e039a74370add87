"""The geographic rules: land stays on land, the sea at sea, crossings on their border.

Each feature's ``kind`` (``geoapp.data.schema.KINDS``) gives its setting; the rules measure
it against the Caspian polygon (the features of kind ``sea``) and the basemap:

- ``land``: no vertex and no stretch of a line more than 1 km into the sea;
- ``sea``: no stretch more than 2 km over land, except within 5 km of a line's ends
  (where routes come ashore at their ports); a polygon's outline likewise, with no ends;
- ``coast``: every vertex within 3 km of the Caspian shore;
- ``border``: as ``land``, and within 2 km of the border between the two countries that
  ``country`` names.

Distances are metres on the ground: each feature is measured in an azimuthal
equidistant projection centred on it (scale error under 0.5 % within 1,000 km of the
centre, far less than the thresholds' margins), and each reported distance is the
geodesic distance on the WGS84 ellipsoid between the offending point and its nearest
point on the shore or border.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
import shapely
import shapely.ops
from pyproj import Geod
from shapely.geometry import shape

from geoapp.data.schema import KINDS, LAYERS

#: A land feature may reach this far into the sea (coastline generalisation, quays).
LAND_INTO_SEA_M = 1_000
#: A sea feature may cross this much land (spits, generalised shores) in one stretch ...
SEA_OVER_LAND_M = 2_000
#: ... and any amount within this distance of its ends, where it comes ashore.
SEA_END_ALLOWANCE_M = 5_000
#: A crossing lies this close to the border it crosses.
CROSSING_TO_BORDER_M = 2_000
#: A seaport lies this close to the Caspian shore.
COAST_M = 3_000
#: Lines are sampled this finely when looking for their deepest point in the sea.
STEP_M = 200

GEOD = Geod(ellps="WGS84")
SEA_KIND = "sea"


#: WGS84 semi-major axis and first eccentricity squared.
_A, _E2 = 6_378_137.0, 0.006_694_379_990_14


class Frame:
    """One feature's projection: azimuthal equidistant, centred on the feature.

    Spherical formulas on the Gaussian radius of curvature at the centre (the sphere
    that best fits the ellipsoid there), computed with numpy: building a pyproj
    transformer per feature would cost more than every rule together. Distances from
    the centre are exact on that sphere; across them the scale errs by under 0.5 %
    within 1,000 km, and the ellipsoid differs from the sphere by less still.
    """

    def __init__(self, geom) -> None:
        minx, miny, maxx, maxy = geom.bounds
        self.lon0 = np.radians((minx + maxx) / 2)
        self.lat0 = np.radians((miny + maxy) / 2)
        sin2 = np.sin(self.lat0) ** 2
        # sqrt(M N): the meridional and prime-vertical radii of curvature at lat0.
        self.radius = _A * np.sqrt(1 - _E2) / (1 - _E2 * sin2)

    def project(self, geom):
        return shapely.transform(geom, self._forward, interleaved=False)

    def _forward(self, lon, lat):
        lam, phi = np.radians(lon) - self.lon0, np.radians(lat)
        sin0, cos0 = np.sin(self.lat0), np.cos(self.lat0)
        cos_c = np.clip(sin0 * np.sin(phi) + cos0 * np.cos(phi) * np.cos(lam), -1.0, 1.0)
        c = np.arccos(cos_c)
        safe = np.where(c < 1e-12, 1.0, c)
        k = np.where(c < 1e-12, 1.0, safe / np.sin(safe))
        x = self.radius * k * np.cos(phi) * np.sin(lam)
        y = self.radius * k * (cos0 * np.sin(phi) - sin0 * np.cos(phi) * np.cos(lam))
        return x, y

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        rho = float(np.hypot(x, y))
        if rho < 1e-9:
            return float(np.degrees(self.lon0)), float(np.degrees(self.lat0))
        c = rho / self.radius
        sin0, cos0 = np.sin(self.lat0), np.cos(self.lat0)
        phi = np.arcsin(np.cos(c) * sin0 + y * np.sin(c) * cos0 / rho)
        lam = self.lon0 + np.arctan2(x * np.sin(c), rho * cos0 * np.cos(c) - y * sin0 * np.sin(c))
        return float(np.degrees(lam)), float(np.degrees(phi))

    def km_between(self, a, b) -> float:
        """Geodesic km (WGS84) between two projected shapely points."""
        (lon1, lat1), (lon2, lat2) = self.lonlat(a.x, a.y), self.lonlat(b.x, b.y)
        return GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000


def _at(lonlat: tuple[float, float]) -> str:
    return f"({lonlat[0]:.3f}, {lonlat[1]:.3f})"


class World:
    """The sea and the countries that the rules measure against, read from the data."""

    def __init__(self, layers: dict[str, list]) -> None:
        seas = [
            g
            for f in layers.get("caspian", [])
            if _props(f).get("kind") == SEA_KIND and (g := _shape(f)) is not None
        ]
        self.sea = shapely.union_all(seas) if seas else None
        if self.sea is not None:
            shapely.prepare(self.sea)
        # Countries are parsed only when a crossing needs them: the basemap is most of the
        # data, and parsing it all would double the time validate takes.
        self._country_features: dict[str, dict] = {}
        self._countries: dict[str, object] = {}
        self._borders: dict[tuple[str, ...], object] = {}
        for f in layers.get("basemap", []):
            code = _props(f).get("iso_a3")
            if isinstance(code, str):
                self._country_features.setdefault(code, f)

    def has_country(self, code: str) -> bool:
        return self.country(code) is not None

    def country(self, code: str):
        """The polygon of a country by ISO code, or None."""
        if code not in self._countries:
            feature = self._country_features.get(code)
            self._countries[code] = None if feature is None else _shape(feature)
        return self._countries[code]

    @functools.cached_property
    def sea_box(self):
        return None if self.sea is None else shapely.box(*self.sea.bounds).buffer(0.5)

    def border(self, a: str, b: str):
        """The shared border of two countries (lines), or None; computed once a pair."""
        key = tuple(sorted((a, b)))
        if key not in self._borders:
            self._borders[key] = _border(self.country(a), self.country(b))
        return self._borders[key]


def _border(a, b):
    shared = a.boundary.intersection(b.boundary)
    lines = [g for g in getattr(shared, "geoms", [shared]) if g.geom_type.endswith("LineString")]
    return shapely.union_all(lines) if lines else None


def _props(feature) -> dict:
    props = feature.get("properties") if isinstance(feature, dict) else None
    return props if isinstance(props, dict) else {}


def _shape(feature):
    try:
        geom = shape(feature["geometry"])
    except Exception:  # malformed geometry: validate.py reports it
        return None
    return geom if geom.is_valid and not geom.is_empty else None


def check(layers: dict[str, list]) -> Iterator[tuple[str, str, str]]:
    """Yield (file, feature id, message) for every geographic problem of loaded layers."""
    world = World(layers)
    needs_sea = False
    for layer_id, features in layers.items():
        layer = LAYERS.get(layer_id)
        if layer is None or not layer.thematic:
            continue
        for feature in features:
            props = _props(feature)
            kind = KINDS.get(props.get("kind"))
            fid = props.get("id")
            if kind is None or kind.setting == "anywhere" or not isinstance(fid, str):
                continue
            geom = _shape(feature)
            if geom is None:
                continue
            if world.sea is None:
                needs_sea = True
                continue
            for message in _messages(kind.setting, geom, props, world):
                yield layer.filename, fid, message
    if needs_sea:
        yield (
            LAYERS["caspian"].filename,
            "*",
            f"no feature of kind {SEA_KIND!r}: the geographic rules need the Caspian polygon",
        )


def _messages(setting: str, geom, props: dict, world: World) -> Iterator[str]:
    frame = Frame(geom)
    if setting in ("land", "border"):
        yield from _land_messages(geom, frame, world)
    if setting == "sea":
        yield from _sea_messages(geom, frame, world)
    if setting == "coast":
        yield from _coast_messages(geom, frame, world)
    if setting == "border":
        yield from _border_messages(geom, props, frame, world)


def _parts(geom) -> list:
    return list(getattr(geom, "geoms", [geom]))


def _vertices(geom) -> list[tuple[float, float]]:
    return [tuple(c) for c in shapely.get_coordinates(geom)]


# -- land ------------------------------------------------------------------------------


def _land_messages(geom, frame: Frame, world: World) -> Iterator[str]:
    """Land features: no vertex and no stretch more than 1 km into the sea."""
    if not geom.intersects(world.sea_box):
        return
    sea = frame.project(world.sea.intersection(shapely.box(*geom.bounds).buffer(0.5)))
    if sea.is_empty:
        return
    shore = sea.boundary
    if geom.geom_type.endswith("Point"):
        for i, (lon, lat) in enumerate(_vertices(geom), 1):
            point = frame.project(shapely.Point(lon, lat))
            if sea.contains(point):
                km = frame.km_between(point, shapely.ops.nearest_points(shore, point)[0])
                if km * 1000 > LAND_INTO_SEA_M:
                    what = "point" if geom.geom_type == "Point" else f"point {i}"
                    yield (
                        f"{what} {_at((lon, lat))} is {km:.1f} km into the sea "
                        f"(a feature on land may reach {LAND_INTO_SEA_M / 1000:g} km into it)"
                    )
        return
    for part_no, part in enumerate(_parts(geom), 1):
        coords = _vertices(part)
        for i in range(len(coords) - 1):
            segment = shapely.LineString(coords[i : i + 2])
            if not world.sea.intersects(segment):
                continue
            worst = _deepest(frame.project(segment), sea, shore, frame)
            if worst is None or worst[0] * 1000 <= LAND_INTO_SEA_M:
                continue
            km, where = worst
            label = f"segment {i + 1}-{i + 2}" + (
                f" of line {part_no}" if len(_parts(geom)) > 1 else ""
            )
            yield (
                f"{label} {_at(coords[i])} -> {_at(coords[i + 1])} reaches {km:.1f} km into "
                f"the sea at {_at(where)} (a feature on land may reach "
                f"{LAND_INTO_SEA_M / 1000:g} km into it)"
            )


def _deepest(segment, sea, shore, frame: Frame):
    """The farthest point of a projected segment inside the sea: (km, lon/lat) or None."""
    inside = segment.intersection(sea)
    if inside.is_empty:
        return None
    samples = shapely.points(
        shapely.get_coordinates(shapely.segmentize(inside, STEP_M), include_z=False)
    )
    if len(samples) == 0:
        return None
    distances = shapely.distance(samples, shore)
    best = samples[int(np.argmax(distances))]
    nearest = shapely.ops.nearest_points(shore, best)[0]
    return frame.km_between(best, nearest), frame.lonlat(best.x, best.y)


# -- sea -------------------------------------------------------------------------------


def _sea_messages(geom, frame: Frame, world: World) -> Iterator[str]:
    """Sea features: no stretch over land longer than 2 km, except near a line's ends."""
    if geom.geom_type.endswith("Point"):
        return
    sea = frame.project(world.sea)
    for part in _parts(geom):
        if part.geom_type == "Polygon":
            line, ends = frame.project(part.exterior), None
        else:
            line = frame.project(part)
            ends = shapely.union_all(
                [
                    shapely.Point(line.coords[0]).buffer(SEA_END_ALLOWANCE_M),
                    shapely.Point(line.coords[-1]).buffer(SEA_END_ALLOWANCE_M),
                ]
            )
        land = line.difference(sea)
        if ends is not None:
            land = land.difference(ends)
        land = shapely.line_merge(land) if land.geom_type == "MultiLineString" else land
        for stretch in _parts(land):
            if stretch.is_empty or stretch.length <= SEA_OVER_LAND_M:
                continue
            start, end = stretch.coords[0], stretch.coords[-1]
            km = _geodesic_length(stretch, frame)
            where = (
                "" if ends is None else f" (beyond {SEA_END_ALLOWANCE_M / 1000:g} km of its ends)"
            )
            yield (
                f"crosses {km:.1f} km of land from {_at(frame.lonlat(*start))} to "
                f"{_at(frame.lonlat(*end))}{where}; a route at sea may cross at most "
                f"{SEA_OVER_LAND_M / 1000:g} km"
            )


def _geodesic_length(line, frame: Frame) -> float:
    lons, lats = zip(*(frame.lonlat(x, y) for x, y in line.coords), strict=True)
    return GEOD.line_length(lons, lats) / 1000


# -- coast -----------------------------------------------------------------------------


def _coast_messages(geom, frame: Frame, world: World) -> Iterator[str]:
    """Coastal features: every vertex within 3 km of the Caspian shore."""
    shore = frame.project(world.sea).boundary
    worst = None
    for lon, lat in _vertices(geom):
        point = frame.project(shapely.Point(lon, lat))
        if shore.distance(point) > COAST_M and (worst is None or worst[0] < shore.distance(point)):
            worst = (shore.distance(point), point, (lon, lat))
    if worst is not None:
        _, point, lonlat = worst
        km = frame.km_between(point, shapely.ops.nearest_points(shore, point)[0])
        yield (
            f"{_at(lonlat)} is {km:.1f} km from the Caspian shore "
            f"(a seaport or coastline lies within {COAST_M / 1000:g} km of it)"
        )


# -- border ----------------------------------------------------------------------------


def _border_messages(geom, props: dict, frame: Frame, world: World) -> Iterator[str]:
    """Crossings: within 2 km of the border between the two countries in ``country``."""
    codes = props.get("country")
    if not isinstance(codes, list) or len(codes) != 2:
        yield "a crossing names the two countries it joins in 'country'"
        return
    missing = [c for c in codes if not isinstance(c, str) or not world.has_country(c)]
    if missing:
        yield f"a crossing's countries must be in the basemap; missing: {', '.join(missing)}"
        return
    border = world.border(*codes)
    if border is None:
        yield f"{codes[0]} and {codes[1]} share no border in the basemap"
        return
    local = frame.project(border)
    for lon, lat in _vertices(geom):
        point = frame.project(shapely.Point(lon, lat))
        if local.distance(point) > CROSSING_TO_BORDER_M:
            km = frame.km_between(point, shapely.ops.nearest_points(local, point)[0])
            yield (
                f"{_at((lon, lat))} is {km:.1f} km from the {codes[0]}-{codes[1]} border "
                f"(a crossing lies within {CROSSING_TO_BORDER_M / 1000:g} km of it)"
            )


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance in km between two lon/lat positions."""
    return GEOD.inv(a[0], a[1], b[0], b[1])[2] / 1000
