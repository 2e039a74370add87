"""Labels of points, placed without collisions in the order the articles care about.

Every label is placed in coordinates that do not depend on the output's resolution:
its anchor is the symbol's position in the map's CRS and its offset is in points
(``annotate(..., textcoords="offset points")``). The layout is measured once, on the
Agg canvas at the page's dpi, and the PDF and SVG backends (which draw at 72 dpi)
put every label exactly where the PNG has it.

Each label is two artists: a white outline drawn as a path (the halo, which keeps
the name legible over lines) under the name drawn as text, so that the SVG keeps it
as ``<text>`` and the PDF as selectable, searchable text. A path effect on the name
itself would turn it into outlines in both.
"""

from __future__ import annotations

import shapely
from matplotlib.transforms import Bbox

from geoapp import styles
from geoapp.maps.printed.projection import MapInfo, Projected
from geoapp.maps.printed.text import PX_TO_PT, halo_for, printable, snap_to_pixels
from geoapp.maps.stacks import stacks_of

#: Label type size (points, before the page's type scale) and its halo's width.
LABEL_SIZE = 7.0
HALO_WIDTH = 2.2
LABEL_COLOUR = "#1a1a1a"
LEADER_COLOUR = "#444444"
#: A named town's dot (radius, points) and its colour, as on the web map.
TOWN_DOT = 2.0
TOWN_COLOUR = "#4a4a4a"

#: Matplotlib's alignment of a label that grows away from its symbol (styles.LABEL_DIRECTIONS),
#: so that a leader line ends at its edge.
_HA = {1: "left", 0: "center", -1: "right"}
_VA = {1: "bottom", 0: "center", -1: "top"}


def _sign(v: float) -> int:
    return (v > 0) - (v < 0)


#: How far from the symbol's edge a label may sit (points): next to it, then on a leader.
_RINGS = (2.0, 14.0, 28.0)


def point_boxes(ax, shown, radius_px: float) -> list[Bbox]:
    """Extents of every point symbol on the layout canvas (labels keep off them)."""
    boxes = []
    for _, geom in shown:
        if geom.geom_type.endswith("Point"):
            for x, y in ax.transData.transform(shapely.get_coordinates(geom)):
                boxes.append(Bbox.from_bounds(x - radius_px, y - radius_px, 2 * radius_px,
                                              2 * radius_px))  # fmt: skip
    return boxes


def draw_labels(
    ax,
    proj: Projected,
    shown,
    info: MapInfo,
    obstacles: list[Bbox],
    type_scale: float = 1.0,
    towns: list[dict] = (),
) -> None:
    """Label stacks of points greedily, then the towns the summaries name (``towns``,
    :func:`names.place_labels`, each with a dot), then countries where there is room:
    the web map's order.

    Each stack takes the first free place next to its symbol, else one further out
    on a leader line; a place is free when its extent is inside the frame and
    overlaps no symbol, no other label, the legend, the scale bar or the arrow.
    Stacks that fit nowhere are left unlabelled.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    radius_pt = styles.POINT_RADIUS * PX_TO_PT
    radius_px = radius_pt * fig.dpi / 72
    taken = [*obstacles, *point_boxes(ax, shown, radius_px)]
    size = LABEL_SIZE * type_scale
    for stack in stacks_of(shown, ax.transData.transform, radius_px):
        text = printable(stack.label)
        label = ax.annotate(text, stack.xy, xytext=(0, 0), textcoords="offset points",
                            fontsize=size, zorder=9, color=LABEL_COLOUR, parse_math=False,
                            annotation_clip=False)  # fmt: skip
        placed = _place(label, radius_pt, type_scale, renderer, frame, taken)
        if placed is None:
            label.remove()
            continue
        ring, offset = placed
        snap_to_pixels(label, renderer)
        halo_for(label, HALO_WIDTH * type_scale)
        if ring > 0:
            ax.annotate("", stack.xy, xytext=offset, textcoords="offset points", zorder=8.8,
                        arrowprops={"arrowstyle": "-", "color": LEADER_COLOUR,
                                    "linewidth": 0.5 * type_scale, "shrinkA": 0,
                                    "shrinkB": radius_pt},
                        annotation_clip=False)  # fmt: skip
        info.labels.append(text)
        info.label_boxes.append(taken[-1])
    _town_labels(ax, proj, towns, info, frame, taken, renderer, type_scale)
    _country_labels(ax, proj, frame, taken, renderer, type_scale)


def _town_labels(ax, proj: Projected, towns, info: MapInfo, frame, taken, renderer, type_scale):
    """A dot and a name for each town where both fit, most populous first."""
    dot_pt = TOWN_DOT * type_scale
    dot_px = dot_pt * ax.figure.dpi / 72
    for town in towns:
        xy = proj.forward.transform(town["lon"], town["lat"])
        x, y = ax.transData.transform(xy)
        dot = Bbox.from_bounds(x - dot_px, y - dot_px, 2 * dot_px, 2 * dot_px)
        if not _free(dot, frame, taken):
            continue
        label = ax.annotate(printable(town["text"]), xy, xytext=(0, 0), textcoords="offset points",
                            fontsize=LABEL_SIZE * 0.85 * type_scale, zorder=8.5,
                            color=TOWN_COLOUR, parse_math=False, annotation_clip=False)  # fmt: skip
        taken.append(dot)
        placed = _place(label, dot_pt, type_scale, renderer, frame, taken, rings=1)
        if placed is None:
            label.remove()
            taken.remove(dot)
            continue
        ax.plot(*xy, marker="o", markersize=2 * dot_pt, markerfacecolor="white",
                markeredgecolor=TOWN_COLOUR, markeredgewidth=0.6 * type_scale, zorder=8.4)  # fmt: skip
        snap_to_pixels(label, renderer)
        halo_for(label, HALO_WIDTH * type_scale)
        info.labels.append(town["text"])
        info.label_boxes.append(taken[-1])


def _place(label, radius_pt, type_scale, renderer, frame: Bbox, taken: list[Bbox], rings: int = 3):
    """Try each ring and direction; return (ring, offset in points) of the first free place."""
    for ring, gap in enumerate(_RINGS[:rings]):
        distance = radius_pt + gap * type_scale
        for dx, dy in styles.LABEL_DIRECTIONS:
            offset = (dx * distance, dy * distance)
            label.xyann = offset
            label.set_ha(_HA[_sign(dx)])
            label.set_va(_VA[_sign(dy)])
            box = label.get_window_extent(renderer).padded(1.5)
            if _free(box, frame, taken):
                taken.append(box)
                return ring, offset
    return None


def _free(box: Bbox, frame: Bbox, taken: list[Bbox]) -> bool:
    """Whether ``box`` lies wholly inside the frame and overlaps nothing taken."""
    inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
    return inside and not any(box.overlaps(t) for t in taken)


def _country_labels(ax, proj: Projected, frame: Bbox, taken, renderer, type_scale) -> None:
    """Country names at their anchors (in the CRS), where they overlap nothing taken."""
    for name, _, anchor in proj.countries:
        if anchor is None:
            continue
        text = ax.text(*anchor, printable(name.upper(), style="italic"),
                       fontsize=LABEL_SIZE * type_scale, color=styles.BASEMAP_STYLE["label"],
                       style="italic", ha="center", va="center", zorder=1.5, alpha=0.8,
                       parse_math=False, clip_on=False)  # fmt: skip
        box = text.get_window_extent(renderer)
        if _free(box, frame, taken):
            taken.append(box)
            snap_to_pixels(text, renderer)
        else:
            text.remove()
