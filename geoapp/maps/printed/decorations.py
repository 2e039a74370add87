"""The scale bar, true in km where it stands, and the north arrow, pointing to true north."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

from geoapp.maps.printed.projection import MapInfo, Projected, ground_m, lonlat
from geoapp.maps.printed.text import halo_for, snap_to_pixels


def _inward(extent, fx: float, fy: float, fits) -> tuple[float, float]:
    """The frame point at fractions (fx, fy), or the first towards the centre where ``fits``."""
    xmin, xmax, ymin, ymax = extent
    for t in np.linspace(0, 1, 41):
        x = xmin + (fx + t * (0.5 - fx)) * (xmax - xmin)
        y = ymin + (fy + t * (0.5 - fy)) * (ymax - ymin)
        if fits(x, y):
            return x, y
    return (xmin + xmax) / 2, (ymin + ymax) / 2


def _scale_bar_geometry(proj: Projected, extent, side: str) -> tuple[float, float, float, float]:
    """x0, x1, y and km of a bar whose ends are its length in km apart on the ground.

    Its outer end sits near the frame's lower corner on ``side``, moved towards the
    centre where the corner is off the projection's domain (a world map's corners).
    The length is the geodesic between the ends, solved by a few secant steps: true
    on a conformal conic, and on Equal Earth, whose scale varies along a parallel.
    """
    xmin, xmax = extent[0], extent[1]
    width = xmax - xmin
    step = -1 if side == "right" else 1
    fx = 0.96 if side == "right" else 0.04

    def fits(x: float, y: float) -> bool:
        return math.isfinite(ground_m(proj, x, x + step * 0.2 * width, y))

    x_out, y = _inward(extent, fx, 0.05, fits)
    metres = ground_m(proj, x_out, x_out + step * 0.2 * width, y)
    km = nice_number(max(metres, 1e-3) / 1000)
    length = 0.2 * width * km * 1000 / metres
    for _ in range(6):
        got = ground_m(proj, x_out, x_out + step * length, y)
        if not math.isfinite(got) or got <= 0 or abs(got / (km * 1000) - 1) < 1e-5:
            break
        length *= km * 1000 / got
    x0, x1 = sorted((x_out, x_out + step * length))
    return x0, x1, y, km


def _north_geometry(proj: Projected, extent, side: str) -> tuple[float, float, float, float]:
    """x, y and the unit vector to true north of an arrow near the upper corner on ``side``."""

    def direction(x: float, y: float) -> tuple[float, float] | None:
        here = lonlat(proj, x, y)
        if here is None:
            return None
        lon, lat = here
        with np.errstate(all="ignore"):
            sx, sy = proj.forward.transform(lon, max(-90.0, lat - 0.25))
            nx, ny = proj.forward.transform(lon, min(90.0, lat + 0.25))
        norm = math.hypot(nx - sx, ny - sy)
        if not (math.isfinite(norm) and norm > 0):
            return None
        return (nx - sx) / norm, (ny - sy) / norm

    x, y = _inward(extent, 0.95 if side == "right" else 0.05, 0.84,
                   lambda x, y: direction(x, y) is not None)  # fmt: skip
    ux, uy = direction(x, y) or (0.0, 1.0)
    return x, y, ux, uy


def decoration_boxes(
    ax, proj: Projected, info: MapInfo, scale_side: str, north_side: str, type_scale: float = 1.0
):
    """Display extents the scale bar and north arrow will take (with their texts)."""
    xmin, xmax, ymin, ymax = info.extent
    height = ymax - ymin
    pt = ax.figure.dpi / 72 * type_scale
    x0, x1, y, _ = _scale_bar_geometry(proj, info.extent, scale_side)
    (bx0, by0), (bx1, by1) = ax.transData.transform([(x0, y), (x1, y + 0.021 * height)])
    scale = Bbox([[bx0 - 16 * pt, by0 - 4], [bx1 + 16 * pt, by1 + 10 * pt + 4]])
    x, y, ux, uy = _north_geometry(proj, info.extent, north_side)
    tip = (x + ux * 0.1 * height, y + uy * 0.1 * height)
    (ax0, ay0), (ax1, ay1) = ax.transData.transform([(x, y), tip])
    north = Bbox([[min(ax0, ax1) - 8 * pt, min(ay0, ay1) - 6], [max(ax0, ax1) + 8 * pt,
                  max(ay0, ay1) + 12 * pt]])  # fmt: skip
    return [scale, north]


def nice_number(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``value``."""
    exponent = math.floor(math.log10(value))
    for step in (5, 2, 1):
        if step * 10**exponent <= value:
            return step * 10**exponent
    return 10**exponent


def draw_scale_bar(
    ax, proj: Projected, info: MapInfo, side: str = "right", type_scale: float = 1.0
) -> Bbox:
    """A bar whose ends are its length in km apart on the ground (see _scale_bar_geometry)."""
    height = info.extent[3] - info.extent[2]
    x0, x1, y, km = _scale_bar_geometry(proj, info.extent, side)
    length = x1 - x0
    bar_h = 0.008 * height
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (x0 + i * length / 4, y),
                length / 4,
                bar_h,
                facecolor="#222222" if i % 2 == 0 else "white",
                edgecolor="#222222",
                linewidth=0.6,
                zorder=11,
            )
        )
    texts = [
        ax.text(x, y + bar_h * 1.6, s, ha="center", va="bottom", fontsize=6.5 * type_scale,
                zorder=11, parse_math=False)
        for x, s in ((x0, "0"), (x0 + length / 2, f"{km / 2:g}"), (x1, f"{km:g} km"))
    ]  # fmt: skip
    renderer = ax.figure.canvas.get_renderer()
    for text in texts:
        snap_to_pixels(text, renderer)
        halo_for(text, 2 * type_scale)
    info.scale_km = km
    info.scale_ends = ((x0, y), (x1, y))
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    bar = ax.transData.transform([(x0, y), (x1, y + bar_h)])
    return Bbox.union([*boxes, Bbox(bar)]).padded(4)


def draw_north_arrow(
    ax, proj: Projected, info: MapInfo, side: str = "right", type_scale: float = 1.0
) -> Bbox:
    """An arrow to true north at its own place (meridians converge in a conic)."""
    height = info.extent[3] - info.extent[2]
    x, y, ux, uy = _north_geometry(proj, info.extent, side)
    info.north = (ux, uy)
    info.north_at = (x, y)
    length = 0.08 * height
    tip = (x + ux * length, y + uy * length)
    ax.annotate(
        "",
        xy=tip,
        xytext=(x, y),
        arrowprops={"arrowstyle": "-|>,head_width=0.35,head_length=0.7", "color": "#222222",
                    "linewidth": 1.4},
        zorder=11,
    )  # fmt: skip
    label = ax.text(
        tip[0] + ux * 0.02 * height,
        tip[1] + uy * 0.02 * height,
        "N",
        ha="center",
        va="bottom",
        fontsize=9 * type_scale,
        fontweight="bold",
        zorder=11,
        parse_math=False,
    )
    snap_to_pixels(label, ax.figure.canvas.get_renderer())
    halo_for(label, 2 * type_scale)
    renderer = ax.figure.canvas.get_renderer()
    arrow = Bbox(ax.transData.transform([(x, y), tip]))
    return Bbox.union([arrow, label.get_window_extent(renderer)]).padded(6)
