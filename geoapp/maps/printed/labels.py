"""Labels of points, placed without collisions in the order the articles care about."""

from __future__ import annotations

import shapely
from matplotlib import patheffects
from matplotlib.transforms import Bbox

from geoapp import styles
from geoapp.maps.printed.projection import MapInfo, Projected
from geoapp.maps.printed.text import PX_TO_PT, printable

#: Order in which point labels claim space: the places the articles are about first.
LABEL_PRIORITY = ("ports", "naval_bases", "borders", "corridors", "programmes", "events")

#: Label anchors tried in order: offset in points, then horizontal and vertical alignment.
_CANDIDATES = (
    ((6, 3), "left", "bottom"),
    ((-6, 3), "right", "bottom"),
    ((6, -3), "left", "top"),
    ((-6, -3), "right", "top"),
    ((0, 8), "center", "bottom"),
    ((0, -8), "center", "top"),
    ((8, 0), "left", "center"),
    ((-8, 0), "right", "center"),
)


def draw_labels(ax, proj: Projected, shown, info: MapInfo, obstacles: list[Bbox]) -> None:
    """Label named points greedily: each takes the first anchor that overlaps nothing."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    radius = styles.POINT_RADIUS * PX_TO_PT * fig.dpi / 72
    points, markers = [], []
    for props, geom in shown:
        if geom.geom_type.endswith("Point"):
            xy = ax.transData.transform(shapely.get_coordinates(geom))
            markers += [
                Bbox.from_bounds(x - radius, y - radius, 2 * radius, 2 * radius) for x, y in xy
            ]
            points.append((props, xy[0]))  # one label per feature, at its first point
    taken = [*obstacles, *markers]
    order = {layer: i for i, layer in enumerate(LABEL_PRIORITY)}
    points.sort(key=lambda t: (order.get(t[0]["layer"], 99), t[0]["name"]))
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    scale = fig.dpi / 72
    for props, (x, y) in points:
        text = ax.text(0, 0, printable(props["name"]), fontsize=7, zorder=9, color="#1a1a1a",
                       path_effects=halo, transform=None, parse_math=False)  # fmt: skip
        if not _place(text, x, y, scale, renderer, frame, taken):
            text.remove()
            continue
        info.labels.append(props["name"])
        info.label_boxes.append(taken[-1])
    for name, _, anchor in proj.countries:  # country names last, where there is room
        if anchor is None:
            continue
        x, y = ax.transData.transform(anchor)
        text = ax.text(x, y, printable(name.upper(), style="italic"), fontsize=7, color=styles.BASEMAP_STYLE["label"],
                       style="italic", ha="center", va="center", zorder=1.5, transform=None,
                       alpha=0.8, parse_math=False)  # fmt: skip
        box = text.get_window_extent(renderer)
        if (
            frame.contains(box.x0, box.y0)
            and frame.contains(box.x1, box.y1)
            and not any(box.overlaps(t) for t in taken)
        ):
            taken.append(box)
        else:
            text.remove()


def _place(text, x, y, scale, renderer, frame: Bbox, taken: list[Bbox]) -> bool:
    for (dx, dy), ha, va in _CANDIDATES:
        text.set_position((x + dx * scale, y + dy * scale))
        text.set_ha(ha)
        text.set_va(va)
        box = text.get_window_extent(renderer).padded(1.5)
        inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
        if inside and not any(box.overlaps(t) for t in taken):
            taken.append(box)
            return True
    return False
