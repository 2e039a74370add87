"""The legend: its rows from :func:`geoapp.styles.legend`, placed where no symbol is covered."""

from __future__ import annotations

import numpy as np
import shapely
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox

from geoapp import styles
from geoapp.data.query import Query
from geoapp.maps.printed.decorations import decoration_boxes
from geoapp.maps.printed.projection import MapInfo, Projected
from geoapp.maps.printed.text import PX_TO_PT, rgb


def legend_handles(shown, selection: Query) -> list:
    """Legend entries of what is shown: sectors, statuses and symbols, with counts."""
    features = [{"properties": p, "geometry": {"type": g.geom_type}} for p, g in shown]
    handles = []
    for entry in styles.legend(features, selection.shown_sectors):
        label = f"{entry.label} ({entry.count})"
        kind = entry.key.split(":")[0]
        if kind == "sector":
            handles.append(Patch(facecolor=entry.colour, edgecolor="none", label=label))
        elif entry.key == "position:approximate":  # the soft circle of an approximate point
            handles.append(
                Line2D([], [], linestyle="none", marker="o", markersize=11,
                       markerfacecolor=(*rgb(entry.colour), entry.opacity),
                       markeredgecolor="none", label=label)
            )  # fmt: skip
        elif kind in ("status", "position"):
            value = entry.key.split(":")[1]
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#444444",
                    alpha=entry.opacity,
                    linewidth=styles.BASE_WIDTH * entry.width * PX_TO_PT,
                    linestyle=styles.mpl_dashes(value) if kind == "status" else "solid",
                    label=label,
                )
            )
        else:
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=styles.MPL_MARKERS[entry.symbol or "circle"],
                    markersize=7,
                    markerfacecolor="#8a8a8a",  # as the web legend's swatches
                    markeredgecolor=styles.SYMBOL_EDGE,
                    markeredgewidth=styles.SYMBOL_EDGE_WIDTH * PX_TO_PT,
                    label=label,
                )
            )
    return handles


def make_legend(ax, handles: list, ncols: int, loc: str, type_scale: float = 1.0):
    legend = ax.legend(
        handles=handles,
        loc=loc,
        fontsize=6.5 * type_scale,
        framealpha=0.9,
        title="Legend",
        title_fontsize=7 * type_scale,
        ncols=ncols,
    )
    legend.set_zorder(10)
    for text in (*legend.get_texts(), legend.get_title()):
        text.set_parse_math(False)
    return legend


#: Corners the legend may take, in order of preference when several are free.
LEGEND_CORNERS = ("lower left", "upper left", "lower right", "upper right")

#: Most of the frame (by area) a legend inside it may cover; a bigger one goes below the map.
MAX_LEGEND_SHARE = 0.3


def decoration_sides(legend_loc: str | None) -> tuple[str, str]:
    """Sides of the scale bar (bottom) and the north arrow (top): away from the legend."""
    return (
        "left" if legend_loc == "lower right" else "right",
        "left" if legend_loc == "upper right" else "right",
    )


def legend_in_frame(ax, proj: Projected, info: MapInfo, shown, handles, type_scale: float = 1.0):
    """Put the legend in the corner of the frame that covers no point symbol.

    Point symbols (with their radius), the scale bar and the north arrow are
    obstacles; among the free corners the one over the fewest line and outline
    vertices wins (dense places stay visible). Returns (corner, legend extent), or
    (None, None) with no legend drawn when no corner is free or the legend would
    cover more than MAX_LEGEND_SHARE of the frame.
    """
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.bbox
    radius = styles.POINT_RADIUS * PX_TO_PT * ax.figure.dpi / 72
    coords = {True: [np.empty((0, 2))], False: [np.empty((0, 2))]}
    for _, geom in shown:
        coords[geom.geom_type.endswith("Point")].append(shapely.get_coordinates(geom))
    points = ax.transData.transform(np.concatenate(coords[True]))
    vertices = ax.transData.transform(np.concatenate(coords[False]))

    def inside(xy: np.ndarray, box: Bbox) -> int:
        x, y = xy[:, 0], xy[:, 1]
        return int(((x >= box.x0) & (x <= box.x1) & (y >= box.y0) & (y <= box.y1)).sum())

    reserved: dict[str, list[Bbox]] = {}
    for ncols in (1, 2) if len(handles) <= 12 else (2, 3):
        legend = make_legend(ax, handles, ncols, LEGEND_CORNERS[0], type_scale)
        best: tuple[int, str, Bbox] | None = None
        for loc in LEGEND_CORNERS:
            legend.set_loc(loc)
            box = legend.get_window_extent(renderer)
            if box.width * box.height > MAX_LEGEND_SHARE * frame.width * frame.height:
                break  # the same size in every corner
            sides = decoration_sides(loc)
            if sides not in reserved:
                reserved[sides] = decoration_boxes(ax, proj, info, *sides, type_scale)
            if any(box.overlaps(r) for r in reserved[sides]):
                continue
            if inside(points, box.padded(radius)):
                continue
            crowd = inside(vertices, box)
            if best is None or crowd < best[0]:
                best = (crowd, loc, box)
        if best is not None:
            legend.set_loc(best[1])
            return best[1], best[2]
        legend.remove()
    return None, None


def legend_band(ax, handles: list, type_scale: float = 1.0) -> tuple[float, int]:
    """The height (page fraction) and columns of a legend laid out in a band below the frame."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    room = 0.97 * fig.bbox.width
    legend = make_legend(ax, handles, 1, "upper center", type_scale)
    ncols = max(1, min(len(handles), int(room / legend.get_window_extent(renderer).width)))
    while True:
        legend.remove()
        legend = make_legend(ax, handles, ncols, "upper center", type_scale)
        box = legend.get_window_extent(renderer)
        if box.width <= room or ncols == 1:
            break
        ncols -= 1
    legend.remove()
    return (box.height + 6) / fig.bbox.height, ncols
