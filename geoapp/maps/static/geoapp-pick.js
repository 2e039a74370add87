/* geoapp map page: what a click picks. Every feature under the pointer, never only the top one.
 *
 * Leaflet gives a click to the topmost shape only: a star over a naval base, a
 * proposed line under an operating one on the same route, or the sea and the
 * Maritime Safety zone that cover the whole water would keep the others out of reach.
 * Here a click gathers every drawn feature within a few pixels of it, of the topmost
 * kind there: symbols, else lines (nearest first), else areas (smallest first), so a
 * zone never swallows a click meant for what lies on it. One feature
 * opens its popup; several open a chooser ("3 features here") that lists them all.
 * A marker chosen from the keyboard (Enter) opens its own popup, as before.
 */
"use strict";

(function (geoapp) {
  /** How near (pixels) the pointer must be to a line, or a point's edge, to pick it. */
  const SLOP = 5;

  function leaves(layer) {
    return layer.getLayers ? layer.getLayers().flatMap(leaves) : [layer];
  }

  /** Rings (or lines) of a path as flat arrays of LatLng, whatever its nesting. */
  function flatParts(latlngs) {
    return L.LineUtil.isFlat(latlngs) ? [latlngs] : latlngs.flatMap(flatParts);
  }

  function lineDistance(map, part, point) {
    let best = Infinity;
    for (const line of flatParts(part.getLatLngs())) {
      const pts = line.map((ll) => map.latLngToContainerPoint(ll));
      if (part instanceof L.Polygon && pts.length) pts.push(pts[0]);
      for (let i = 1; i < pts.length; i++) {
        best = Math.min(best, L.LineUtil.pointToSegmentDistance(point, pts[i - 1], pts[i]));
      }
    }
    return best;
  }

  /** Whether ``point`` is inside a polygon (even-odd over all rings: holes stay out),
   * and the polygon's area in square pixels (the smaller, the more specific). */
  function inside(map, part, point) {
    let odd = false;
    let area = 0;
    for (const ring of flatParts(part.getLatLngs())) {
      const pts = ring.map((ll) => map.latLngToContainerPoint(ll));
      for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
        const a = pts[i];
        const b = pts[j];
        if (a.y > point.y !== b.y > point.y && point.x < ((b.x - a.x) * (point.y - a.y)) / (b.y - a.y) + a.x) odd = !odd;
        area += (b.x - a.x) * (b.y + a.y);
      }
    }
    return { odd, area: Math.abs(area / 2) };
  }

  /** Every drawn feature at ``point`` (container pixels), best first: [{entry, at}]. */
  geoapp.featuresAt = function (point) {
    const map = geoapp.map;
    const radius = geoapp.settings().styles.point_radius + 3;
    const found = [];
    for (const entry of geoapp.entries) {
      if (!geoapp.isShown(entry)) continue;
      let best = null;
      for (const part of leaves(entry.leaflet)) {
        let hit = null;
        if (part.getLatLng) {
          const d = map.latLngToContainerPoint(part.getLatLng()).distanceTo(point);
          if (d <= radius + SLOP) hit = { rank: 0, score: d, at: part.getLatLng() };
        } else if (part instanceof L.Polygon) {
          const { odd, area } = inside(map, part, point);
          if (odd) hit = { rank: 2, score: area, at: null };
        } else if (part.getLatLngs) {
          const d = lineDistance(map, part, point);
          if (d <= (part.options.weight || 2) / 2 + SLOP) hit = { rank: 1, score: d, at: null };
        }
        if (hit && (!best || hit.rank < best.rank || (hit.rank === best.rank && hit.score < best.score))) best = hit;
      }
      if (best) found.push({ entry, ...best });
    }
    // Only the topmost kind present: symbols over lines over areas. What lies under a
    // symbol stays reachable a few pixels away, where the symbol is not.
    const top = Math.min(...found.map((f) => f.rank));
    return found
      .filter((f) => f.rank === top)
      .sort((a, b) => a.rank - b.rank || a.score - b.score || a.entry.feature.properties.name.localeCompare(b.entry.feature.properties.name));
  };

  /** Open one feature's popup where it was picked (a line's or an area's: at the click). */
  geoapp.openAt = function (entry, latlng, at) {
    const target = entry.target;
    if (target.getLatLng) target.openPopup();
    else target.openPopup(at || latlng);
  };

  function chooser(hits, latlng) {
    const s = geoapp.settings();
    const box = document.createElement("div");
    box.className = "popup pick";
    box.tabIndex = -1;
    box.setAttribute("role", "dialog");
    const title = `${hits.length} features here`;
    box.setAttribute("aria-label", title);
    const heading = document.createElement("h3");
    heading.textContent = title;
    const list = document.createElement("ul");
    for (const hit of hits) {
      const props = hit.entry.feature.properties;
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.featureId = props.id;
      button.textContent = String(props.name);
      const kind = document.createElement("span");
      kind.className = "pick-layer";
      kind.textContent = s.layers[props.layer] || props.layer;
      button.append(" ", kind);
      button.addEventListener("click", () => {
        geoapp.map.closePopup();
        geoapp.openAt(hit.entry, latlng, hit.at);
      });
      item.append(button);
      list.append(item);
    }
    box.append(heading, list);
    return box;
  }

  /** A click on the map or on a feature: open what is there, or offer the choice. */
  geoapp.pick = function (event) {
    const map = geoapp.map;
    const original = event.originalEvent;
    const point = original && "clientX" in original ? map.mouseEventToContainerPoint(original) : event.containerPoint;
    const latlng = map.containerPointToLatLng(point);
    const hits = geoapp.featuresAt(point);
    if (hits.length === 1) geoapp.openAt(hits[0].entry, latlng, hits[0].at);
    else if (hits.length > 1) {
      const size = geoapp.popupSize(map);
      L.popup({ className: "feature-popup pick-popup", maxWidth: size.maxWidth, maxHeight: size.maxHeight })
        .setLatLng(latlng)
        .setContent(chooser(hits, latlng))
        .openOn(map);
    }
    return hits;
  };

  /** Clicks on features and near them go through :func:`geoapp.pick`. */
  geoapp.takeClicks = function (layer) {
    layer.off("click", layer._openPopup, layer);
    layer.on("click", (event) => {
      // Lines and areas bubble their clicks to the map, which picks too: one pick a click.
      L.DomEvent.stopPropagation(event);
      geoapp.pick(event);
    });
  };

  geoapp.initPick = function (map) {
    // A click on no shape (beside a thin line) is the map's: it may still be near one.
    map.on("click", geoapp.pick);
  };
})(window.geoapp);
