/* geoapp map page: towns (GeoNames cities500), a context layer under the thematic ones.
 *
 * The browser never holds the 234,908 places: after each pan or zoom it asks the
 * server for its view (/api/places?bbox=&zoom=), whose one rule (Python's) decides
 * how many people a place needs at that zoom and sends the most populous first.
 * Dots go in a pane under the lines and symbols, and take no clicks; names are
 * placed by geoapp-names.js after the features' own, without collisions. Styles by
 * population class come from the server's style table. A standalone file has no
 * server: it shows the towns its summaries name only. The Towns switch (towns=off in
 * the address) stops the requests and clears the dots and names.
 */
"use strict";

(function (geoapp) {
  const PANE = "places";
  let asked = 0;

  /** Pixels of the grid the asked box is snapped to: half a 256-px tile. */
  const CELL = 128;

  /** The box asked for: the view's, widened to the grid of its zoom's half tiles.
   * Readers of one shared link have screens of every size; snapped, most of them ask
   * the same few URLs, which a cache in front (nginx, the browser) answers once. */
  function snappedBox(map, zoom) {
    const b = map.getBounds();
    const nw = map.project(b.getNorthWest(), zoom);
    const se = map.project(b.getSouthEast(), zoom);
    const world = 256 * 2 ** zoom;
    const x0 = Math.max(0, Math.floor(nw.x / CELL) * CELL);
    const y0 = Math.max(0, Math.floor(nw.y / CELL) * CELL);
    const x1 = Math.min(world, Math.ceil(se.x / CELL) * CELL);
    const y1 = Math.min(world, Math.ceil(se.y / CELL) * CELL);
    const a = map.unproject([x0, y1], zoom);
    const c = map.unproject([x1, y0], zoom);
    const clamp = (v, limit) => Math.min(limit, Math.max(-limit, v));
    return [clamp(a.lng, 180), clamp(a.lat, 90), clamp(c.lng, 180), clamp(c.lat, 90)].map((v) => v.toFixed(4)).join(",");
  }

  function url(map) {
    const s = geoapp.settings();
    const zoom = Math.round(map.getZoom());
    return `${s.placesUrl}?${new URLSearchParams({ bbox: snappedBox(map, zoom), zoom })}`.replaceAll("%2C", ",");
  }

  /** The towns of the view, most populous first: [{id, name, country, population, class, lon, lat}]. */
  async function fetchPlaces(map) {
    const response = await fetch(url(map), { headers: { Accept: "application/geo+json" } });
    if (!response.ok) throw new Error(`places: HTTP ${response.status}`);
    const doc = await response.json();
    return doc.features.map((f) => ({
      ...f.properties,
      lon: f.geometry.coordinates[0],
      lat: f.geometry.coordinates[1],
    }));
  }

  /** Whether the towns show: the page's Towns switch, which the query (towns=off) set. */
  geoapp.townsOn = function () {
    const box = document.getElementById("towns-toggle");
    return !box || box.checked;
  };

  /** Ask for the view's towns; draw the latest answer only. Switched off: none, and no
   * request (an answer still on its way is dropped). */
  geoapp.refreshPlaces = async function () {
    const map = geoapp.map;
    const s = geoapp.settings();
    if (!map || !s.placesUrl) return [];
    const mine = ++asked;
    if (!geoapp.townsOn()) {
      geoapp.places = [];
      if (geoapp.drawNames) geoapp.drawNames();
      return [];
    }
    let places;
    try {
      places = await fetchPlaces(map);
    } catch (error) {
      console.warn("geoapp:", error);
      return [];
    }
    if (mine !== asked) return null;
    geoapp.places = places;
    if (geoapp.drawNames) geoapp.drawNames();
    return places;
  };

  /** The dot of one town, sized by its class (the style table's). */
  geoapp.placeDot = function (map, place, size) {
    const div = document.createElement("div");
    div.className = `map-dot place-class-${place.class}`;
    const p = map.latLngToLayerPoint([place.lat, place.lon]);
    div.style.width = div.style.height = `${size}px`;
    div.style.transform = `translate(${Math.round(p.x - size / 2)}px, ${Math.round(p.y - size / 2)}px)`;
    return div;
  };

  geoapp.initPlaces = function (map) {
    const s = geoapp.settings();
    if (!s.placesUrl) return;
    const pane = map.createPane(PANE);
    pane.classList.add("leaflet-zoom-hide");
    pane.setAttribute("aria-hidden", "true");
    map.on("moveend", () => geoapp.refreshPlaces());
    // The switch also asks the view again (geoapp-ui.js): the towns the summaries name
    // follow it there, and the address bar keeps towns=off.
    const box = document.getElementById("towns-toggle");
    if (box) box.addEventListener("change", () => geoapp.refreshPlaces());
  };
})(window.geoapp);
