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

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import shapely
from matplotlib.transforms import Bbox

from geoapp import styles
from geoapp.maps.printed.projection import MapInfo, Projected
from geoapp.maps.printed.text import PX_TO_PT, halo_for, printable, snap_to_pixels

#: Label type size (points, before the page's type scale) and its halo's width.
LABEL_SIZE = 7.0
HALO_WIDTH = 2.2
LABEL_COLOUR = "#1a1a1a"
LEADER_COLOUR = "#444444"

#: Directions tried around a symbol, best first: (unit dx, unit dy, ha, va). A label
#: anchored this way grows away from its symbol, so a leader line ends at its edge.
_DIRECTIONS = (
    (1, 0.45, "left", "bottom"),
    (-1, 0.45, "right", "bottom"),
    (1, -0.45, "left", "top"),
    (-1, -0.45, "right", "top"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
)
#: How far from the symbol's edge a label may sit (points): next to it, then on a leader.
_RINGS = (2.0, 14.0, 28.0)


@dataclass
class Stack:
    """Point features whose symbols overlap on the page: they share one label."""

    xy: tuple[float, float]  # the first member's position, in the map's CRS
    pixel: np.ndarray  # the same on the layout canvas
    members: list[dict] = field(default_factory=list)
    #: Members that are one of several points (a customs point of a corridor): they
    #: take the place of the others here rather than name one.
    scattered: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return stack_label(self.members, self.scattered)


def stack_label(members: list[dict], scattered: set[str] | frozenset[str] = frozenset()) -> str:
    """One feature's name, or a stack's place and what is there.

    ``Turkmenbashi: port, naval base, customs point``; kinds that occur more than
    once are counted (``Ashgabat: 2 events, 2 programmes``); neighbouring places are
    both named (``Alat, Baku: port, naval base``). Members in ``scattered`` (ids of
    features with several points) take the place of the others. A stack with a
    member whose place is not known is named by its first member and a count
    (``Hazar-2012 + 1 more``): naming a town there would say something the data does
    not. One located member keeps its name (``Farap–Alat crossing + customs point``).
    """
    if len(members) == 1:
        return members[0]["name"]
    located = [m for m in members if m["id"] not in scattered]
    if len(located) == 1:  # one place and what else is there: keep its name
        others = Counter(styles.layer_noun(m["layer"]) for m in members if m is not located[0])
        return f"{located[0]['name']} + {_counted(others)}"
    places = list(dict.fromkeys(m.get("place") for m in located))
    if not places or None in places or "" in places:
        return f"{members[0]['name']} + {len(members) - 1} more"
    kinds = Counter(styles.layer_noun(m["layer"]) for m in members)
    return f"{', '.join(places)}: {_counted(kinds)}"


def _counted(kinds: Counter) -> str:
    return ", ".join(kind if n == 1 else f"{n} {styles.plural(kind)}" for kind, n in kinds.items())


def stacks_of(ax, shown, radius_px: float) -> list[Stack]:
    """Group point features whose symbols would touch, in label priority order.

    A feature of one point starts a stack or joins one. A feature of several points
    is labelled at its first point and joins the stacks its other points fall in
    (the customs points of a corridor sit at its crossings and ports).
    """
    order = {layer: i for i, layer in enumerate(styles.LABEL_PRIORITY)}
    points = [(p, g) for p, g in shown if g.geom_type.endswith("Point")]
    points.sort(key=lambda t: (order.get(t[0]["layer"], 99), t[0]["name"]))
    found: list[Stack] = []
    for props, geom in points:
        coords = shapely.get_coordinates(geom)
        for i, (xy, pixel) in enumerate(zip(coords, ax.transData.transform(coords), strict=True)):
            near = next((s for s in found if np.hypot(*(s.pixel - pixel)) < 2 * radius_px), None)
            if near is not None and props not in near.members:
                near.members.append(props)
                if len(coords) > 1:
                    near.scattered.add(props["id"])
            elif near is None and i == 0:
                found.append(Stack((float(xy[0]), float(xy[1])), pixel, [props]))
    return found


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
) -> None:
    """Label stacks of points greedily, then countries where there is room.

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
    for stack in stacks_of(ax, shown, radius_px):
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
    _country_labels(ax, proj, frame, taken, renderer, type_scale)


def _place(label, radius_pt, type_scale, renderer, frame: Bbox, taken: list[Bbox]):
    """Try each ring and direction; return (ring, offset in points) of the first free place."""
    for ring, gap in enumerate(_RINGS):
        distance = radius_pt + gap * type_scale
        for dx, dy, ha, va in _DIRECTIONS:
            offset = (dx * distance, dy * distance)
            label.xyann = offset
            label.set_ha(ha)
            label.set_va(va)
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
