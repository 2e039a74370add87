/* geoapp map page: names on the map. Places the server's labels without collisions.
 *
 * What a label says, which features it names at each zoom and the order labels
 * claim room in are the server's (the view answer's ``labels`` and ``countryLabels``,
 * with the printed map's rules). This script only measures and places: each label
 * tries the directions of ``styles.label_directions`` around its symbol and is
 * skipped where it would cover a symbol or a name already placed, so more names
 * show as the reader zooms in. Names are set as text, never as markup, and take no
 * clicks (the features under them do).
 */
"use strict";

(function (geoapp) {
  const PANE = "names";
  /** Gap between a symbol's edge and its label, and around every label (pixels). */
  const GAP = 2;
  const PAD = 1.5;
  /** Lines up (positive) or down a country's name may move off its anchor to find room. */
  const COUNTRY_SHIFTS = [0, 1.5, -1.5, 3, -3];
  let measure = null;

  function textWidth(text, font) {
    measure = measure || document.createElement("canvas").getContext("2d");
    measure.font = font;
    return measure.measureText(text).width;
  }

  function overlaps(a, b) {
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  }

  function free(box, size, taken) {
    const inside = box.x0 >= 0 && box.y0 >= 0 && box.x1 <= size.x && box.y1 <= size.y;
    return inside && !taken.some((t) => overlaps(box, t));
  }

  /** The box of a label ``w`` × ``h`` that grows from ``p`` in direction (dx, dy), y up. */
  function boxAt(p, dx, dy, distance, w, h) {
    const ax = p.x + dx * distance;
    const ay = p.y - dy * distance;
    const x0 = dx > 0 ? ax : dx < 0 ? ax - w : ax - w / 2;
    const y0 = dy > 0 ? ay - h : dy < 0 ? ay : ay - h / 2;
    return { x0: x0 - PAD, y0: y0 - PAD, x1: x0 + w + PAD, y1: y0 + h + PAD };
  }

  /** Boxes of every point symbol drawn: names keep off them. */
  function symbolBoxes(map, radius) {
    const boxes = [];
    for (const entry of geoapp.entries) {
      if (!geoapp.isShown(entry) || !entry.feature.geometry.type.endsWith("Point")) continue;
      entry.leaflet.eachLayer(function visit(layer) {
        if (layer.getLayers) layer.eachLayer(visit);
        else if (layer.getLatLng) {
          const p = map.latLngToContainerPoint(layer.getLatLng());
          boxes.push({ x0: p.x - radius, y0: p.y - radius, x1: p.x + radius, y1: p.y + radius });
        }
      });
    }
    return boxes;
  }

  /** Boxes of the map's controls (zoom, scale, credits): names keep out from under them. */
  function controlBoxes(map) {
    const origin = map.getContainer().getBoundingClientRect();
    return Array.from(map.getContainer().querySelectorAll(".leaflet-control")).map((control) => {
      const r = control.getBoundingClientRect();
      return { x0: r.left - origin.left, y0: r.top - origin.top, x1: r.right - origin.left, y1: r.bottom - origin.top };
    });
  }

  function nameNode(map, text, kind, box) {
    const div = document.createElement("div");
    div.className = `map-name map-name-${kind}`;
    div.textContent = String(text);
    const at = map.containerPointToLayerPoint([box.x0 + PAD, box.y0 + PAD]);
    div.style.transform = `translate(${Math.round(at.x)}px, ${Math.round(at.y)}px)`;
    return div;
  }

  /** Place the names of the answer on screen, for the map's zoom and view. */
  geoapp.drawNames = function () {
    const map = geoapp.map;
    const answer = geoapp.answer;
    const pane = map && map.getPane(PANE);
    if (!pane || !answer) return;
    const s = geoapp.settings().styles;
    const size = map.getSize();
    const zoom = Math.round(map.getZoom());
    const radius = s.point_radius + 3;
    const taken = [...symbolBoxes(map, radius), ...controlBoxes(map)];
    const look = getComputedStyle(pane);
    const nodes = [];
    const placed = [];
    const fontOf = (kind) => look.getPropertyValue(`--${kind}-font`).trim();
    const lineHeight = parseFloat(look.getPropertyValue("--name-height")) || 15;
    for (const label of answer.labels || []) {
      if (!label.zooms.includes(zoom)) continue;
      const p = map.latLngToContainerPoint([label.lat, label.lon]);
      if (p.x < -200 || p.y < -50 || p.x > size.x + 200 || p.y > size.y + 50) continue;
      const w = textWidth(label.text, fontOf("feature"));
      for (const [dx, dy] of s.label_directions) {
        const box = boxAt(p, dx, dy, radius + GAP, w, lineHeight);
        if (free(box, size, taken)) {
          taken.push(box);
          nodes.push(nameNode(map, label.text, "feature", box));
          placed.push(label.text);
          break;
        }
      }
    }
    // Towns, each a dot and its name beside it: first those a shown feature's summary
    // names (from their zoom on), then the places layer's (geoapp-places.js), most
    // populous first, the big ones before the country names and the rest after them.
    const classes = s.place_classes || {};
    const family = look.getPropertyValue("--name-family").trim() || "sans-serif";
    const dots = [];
    const placeTown = (town, kind) => {
      const cls = classes[town.class] || classes[Object.keys(classes).pop()];
      const p = map.latLngToContainerPoint([town.lat, town.lon]);
      if (!cls || p.x < 0 || p.y < 0 || p.x > size.x || p.y > size.y) return;
      const r = cls.dot / 2;
      const dot = { x0: p.x - r, y0: p.y - r, x1: p.x + r, y1: p.y + r };
      if (taken.some((t) => overlaps(dot, t))) return;
      const font = `${cls.weight} ${cls.size}px ${family}`;
      const w = textWidth(town.name, font);
      for (const [dx, dy] of s.label_directions) {
        const box = boxAt(p, dx, dy, r + GAP, w, lineHeight);
        if (free(box, size, taken)) {
          taken.push(box, dot);
          const node = nameNode(map, town.name, kind, box);
          node.style.font = font;
          nodes.push(node);
          dots.push(geoapp.placeDot(map, town, cls.dot));
          placed.push(town.name);
          return;
        }
      }
    };
    const named = answer.placeLabels || [];
    for (const label of named) if (zoom >= label.minZoom) placeTown({ ...label, name: label.text }, "place");
    const known = new Set(named.map((l) => l.geonameid));
    const towns = (geoapp.places || []).filter((t) => !known.has(t.id));
    towns.filter((t) => t.class <= 2).forEach((t) => placeTown(t, "town"));
    for (const label of answer.countryLabels || []) {
      const text = String(label.text).toUpperCase();
      const p = map.latLngToContainerPoint([label.lat, label.lon]);
      const w = textWidth(text, fontOf("country"));
      // At its anchor, else a line or two above or below it (still inside the country
      // at the zooms where its name fits), else not at all.
      for (const lines of COUNTRY_SHIFTS) {
        const box = boxAt({ x: p.x, y: p.y - lines * lineHeight }, 0, 0, 0, w, lineHeight);
        if (free(box, size, taken)) {
          taken.push(box);
          nodes.push(nameNode(map, text, "country", box));
          placed.push(text);
          break;
        }
      }
    }
    towns.filter((t) => t.class > 2).forEach((t) => placeTown(t, "town"));
    pane.replaceChildren(...nodes);
    const dotPane = map.getPane("places");
    if (dotPane) dotPane.replaceChildren(...dots);
    pane.dataset.names = String(nodes.length);
    return placed;
  };

  /** The pane names live in: above lines and areas, under the symbols, deaf to the pointer. */
  geoapp.initNames = function (map) {
    const pane = map.createPane(PANE);
    // Hidden while a zoom animates (names are placed for whole zooms), shown at its end.
    pane.classList.add("leaflet-zoom-hide");
    pane.setAttribute("aria-hidden", "true");
    map.on("zoomend moveend resize", () => geoapp.drawNames());
  };
})(window.geoapp);
