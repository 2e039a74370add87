"""Drawing the basemap, the online tiles and each feature, styled by :mod:`geoapp.styles`."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyproj
import shapely
from matplotlib.collections import LineCollection, PathCollection

from geoapp import styles
from geoapp.data.catalog import Catalog
from geoapp.data.query import Query
from geoapp.data.schema import LAYERS
from geoapp.maps.printed.projection import (
    GEOD,
    MapInfo,
    Projected,
    line_parts,
    lonlat,
    polygon_path,
)
from geoapp.maps.printed.text import PX_TO_PT, rgb


class TilesError(RuntimeError):
    """An online tile background was asked for and cannot be drawn (one-line message)."""


def draw_tiles(ax, crs: pyproj.CRS, tiles: str) -> None:
    if tiles not in styles.TILE_PROVIDERS:
        raise TilesError(f"unknown tiles {tiles!r}; valid: {', '.join(styles.TILE_PROVIDERS)}")
    try:
        import contextily
        import xyzservices
    except ImportError:
        raise TilesError("online tiles need contextily: pip install 'geoapp[tiles]'") from None
    provider = xyzservices.providers.query_name(styles.TILE_PROVIDERS[tiles])
    try:
        contextily.add_basemap(ax, crs=crs.to_wkt(), source=provider, attribution=False)
    except Exception as exc:  # network, HTTP or decoding: one line, never a traceback
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TilesError(f"could not fetch {tiles} tiles (offline?): {reason[:160]}") from None


def draw_countries(ax, proj: Projected, *, faint: bool) -> None:
    paths = [path for _, path, _ in proj.countries]
    ax.add_collection(
        PathCollection(
            paths,
            facecolors="none" if faint else styles.BASEMAP_STYLE["fill"],
            edgecolors=styles.BASEMAP_STYLE["edge"],
            linewidths=0.5,
            zorder=1,
        ),
        autolim=False,
    )


def shown_features(
    catalog: Catalog, selection: Query, proj: Projected, info: MapInfo
) -> list[tuple[dict, object]]:
    """The selected features the frame shows, as (properties, projected geometry) pairs.

    Features are picked by the frame as drawn (the view widened to the page's shape),
    not by the requested bbox: whatever shows on the map is drawn, labelled and in the
    legend. The catalog's index narrows by the frame's lon/lat bounds, then the
    projected geometries are tested against the frame itself.
    """
    xmin, xmax, ymin, ymax = info.extent
    frame = shapely.box(xmin, ymin, xmax, ymax)
    shown = []
    layers = tuple(layer for layer in selection.layers if LAYERS[layer].thematic)
    kept = catalog.query(selection.replace(layers=layers, bbox=info.frame_bbox))
    for layer_id, features in kept.items():
        geoms = proj.layers[layer_id]
        for feature in features:
            geom = geoms[feature["properties"]["id"]]
            if shapely.intersects(geom, frame):
                shown.append((feature["properties"], geom))
    return shown


def draw_feature(ax, props: dict, geom, sectors: Iterable[str]) -> None:
    style = styles.feature_style(props, sectors)
    dashes = styles.mpl_dashes(props["status"])
    width = style.width * PX_TO_PT
    kind = geom.geom_type
    if kind.endswith("Polygon"):
        ax.add_collection(
            PathCollection(
                [polygon_path(geom)],
                facecolors=[(*rgb(style.colour), style.fill_opacity)],
                edgecolors=[(*rgb(style.colour), style.opacity)],
                linewidths=width * 0.6,
                linestyles=[dashes],
                zorder=2,
                gid=props["id"],
            ),
            autolim=False,
        )
    elif kind.endswith("LineString"):
        ax.add_collection(
            LineCollection(
                line_parts(geom),
                colors=[(*rgb(style.colour), style.opacity)],
                linewidths=width,
                linestyles=[dashes],
                capstyle="round",
                zorder=3,
                gid=props["id"],
            ),
            autolim=False,
        )
    elif kind.endswith("Point"):
        # As the web map's icons: the sector colour, outlined in SYMBOL_EDGE and dashed by
        # status (a scatter, since a plotted marker's edge cannot be dashed).
        points = np.array([(p.x, p.y) for p in getattr(geom, "geoms", [geom])])
        ax.scatter(
            points[:, 0],
            points[:, 1],
            s=(2 * styles.POINT_RADIUS * PX_TO_PT) ** 2,
            marker=styles.MPL_MARKERS[style.symbol or "circle"],
            facecolors=[(*rgb(style.colour), style.opacity)],
            edgecolors=[(*rgb(styles.SYMBOL_EDGE), style.opacity)],
            linewidths=styles.SYMBOL_EDGE_WIDTH * PX_TO_PT,
            linestyles=[dashes],
            zorder=4,
            gid=props["id"],
        )


def draw_uncertainty(ax, proj: Projected, props: dict, geom, sectors: Iterable[str]) -> None:
    """The soft circle around an approximate point (``styles.uncertainty_km``), as on the web.

    A geodesic circle: its points are the radius away on the ellipsoid, then projected,
    so it is a true circle of that many km on the ground in any projection.
    """
    radius = styles.uncertainty_km(props, geom.geom_type)
    if radius is None:
        return
    here = lonlat(proj, geom.x, geom.y)
    if here is None:
        return
    azimuths = np.linspace(0, 360, 73)
    lons, lats, _ = GEOD.fwd(np.full(73, here[0]), np.full(73, here[1]), azimuths,
                             np.full(73, radius * 1000))  # fmt: skip
    with np.errstate(all="ignore"):
        xs, ys = proj.forward.transform(lons, lats)
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        return
    colour = styles.feature_style(props, sectors).colour
    ax.fill(xs, ys, facecolor=(*rgb(colour), styles.UNCERTAINTY_OPACITY), edgecolor="none",
            zorder=2.5, gid=f"{props['id']}-uncertainty")  # fmt: skip
