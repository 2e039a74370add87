"""Points that share one spot on a map, and the one label they share.

The printed map and the web map name stacks of points with the same rules: points
whose symbols would touch form a stack, taken in :data:`styles.LABEL_PRIORITY`
order, and the stack is named by :func:`stack_label`. Only how a position becomes a
pixel differs (the page's canvas, or Web Mercator at one zoom), so that is a
parameter here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import shapely

from geoapp import styles

#: Positions (an n×2 array in the map's CRS) to pixels (an n×2 array, any origin).
ToPixels = Callable[[np.ndarray], np.ndarray]


@dataclass
class Stack:
    """Point features whose symbols overlap: they share one label."""

    xy: tuple[float, float]  # the first member's position, in the map's CRS
    pixel: np.ndarray  # the same in pixels
    members: list[dict] = field(default_factory=list)
    #: Members that are one of several points (a customs point of a corridor): they
    #: take the place of the others here rather than name one.
    scattered: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return stack_label(self.members, self.scattered)

    @property
    def ids(self) -> list[str]:
        return [m["id"] for m in self.members]


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


def stacks_of(
    shown: Iterable[tuple[dict, object]], to_pixels: ToPixels, radius_px: float
) -> list[Stack]:
    """Group point features whose symbols would touch, in label priority order.

    ``shown`` pairs each feature's properties with its shapely geometry (in the CRS
    ``to_pixels`` reads); ``radius_px`` is a symbol's radius in those pixels. A
    feature of one point starts a stack or joins one. A feature of several points
    is labelled at its first point and joins the stacks its other points fall in
    (the customs points of a corridor sit at its crossings and ports).
    """
    order = {layer: i for i, layer in enumerate(styles.LABEL_PRIORITY)}
    points = [(p, g) for p, g in shown if g.geom_type.endswith("Point")]
    points.sort(key=lambda t: (order.get(t[0]["layer"], 99), t[0]["name"]))
    found: list[Stack] = []
    for props, geom in points:
        coords = shapely.get_coordinates(geom)
        for i, (xy, pixel) in enumerate(zip(coords, to_pixels(coords), strict=True)):
            near = next((s for s in found if np.hypot(*(s.pixel - pixel)) < 2 * radius_px), None)
            if near is not None and props not in near.members:
                near.members.append(props)
                if len(coords) > 1:
                    near.scattered.add(props["id"])
            elif near is None and i == 0:
                found.append(Stack((float(xy[0]), float(xy[1])), pixel, [props]))
    return found
