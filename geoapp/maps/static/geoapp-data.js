/* geoapp map page, part 1 of 4: data. Loads the layers and the server's view answers.
 *
 * folium's script builds the map's frame and calls geoapp.start(map) (geoapp-ui.js).
 * Every feature arrives here as JSON only (fetched from /api/layers/<id>, or parsed
 * from the standalone page's data block): never as part of a script the server wrote.
 * Which features show and how they look is the server's answer (/api/view): this
 * script holds no rule of its own.
 */
"use strict";

window.geoapp = (function () {
  const api = {};
  /** Every thematic feature of the page: {id, feature, layerId, leaflet, styleKey}. */
  api.entries = [];
  api.byId = new Map();
  /** Leaflet group of each thematic layer id. */
  api.groups = {};
  const fetches = {};
  let settingsCache = null;
  let embedded = null;

  /** The page settings: one JSON blob written by the server. */
  api.settings = function () {
    if (settingsCache === null) {
      settingsCache = JSON.parse(document.getElementById("geoapp-settings").textContent);
    }
    return settingsCache;
  };

  function embeddedData() {
    if (embedded === null) {
      embedded = JSON.parse(document.getElementById("geoapp-data").textContent);
    }
    return embedded;
  }

  /** Fetch a JSON document once, however many parts of the page read it. */
  api.fetchJSON = function (url) {
    if (!fetches[url]) {
      fetches[url] = fetch(url, { headers: { Accept: "application/json" } }).then((r) => {
        if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
        return r.json();
      });
    }
    return fetches[url];
  };

  /** A layer's GeoJSON: from the page's data block (standalone) or its URL (served). */
  api.layerData = function (layerId, kind) {
    const s = api.settings();
    if (s.standalone) {
      return Promise.resolve(embeddedData()[kind][layerId] || { type: "FeatureCollection", features: [] });
    }
    return api.fetchJSON(s.urls[layerId]);
  };

  /** The server's answer for a query string: what shows and how (standalone: the one it carries). */
  api.viewAnswer = function (query) {
    const s = api.settings();
    if (s.standalone) return Promise.resolve(embeddedData().view);
    const url = `${s.viewUrl}?${query}`;
    return fetch(url, { headers: { Accept: "application/json" } }).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.json();
    });
  };

  /** Draw the basemap, and load every thematic feature of the page (drawn when shown). */
  api.load = function (map) {
    const s = api.settings();
    const pending = [];
    for (const part of s.basemap) {
      const group = L.geoJSON(null, { style: () => part.style, pane: "basemap", interactive: false });
      group.addTo(map);
      const keep = part.ids === null ? null : new Set(part.ids);
      pending.push(
        api.layerData(part.layer, "basemap").then((doc) => {
          const features = keep ? doc.features.filter((f) => keep.has(f.properties.id)) : doc.features;
          group.addData({ type: "FeatureCollection", features });
        })
      );
    }
    for (const layerId of s.drawn) {
      api.groups[layerId] = L.featureGroup().addTo(map);
      pending.push(
        api.layerData(layerId, "thematic").then((doc) => {
          for (const feature of doc.features) {
            const entry = { id: feature.properties.id, feature, layerId, leaflet: null, styleKey: null };
            api.entries.push(entry);
            api.byId.set(entry.id, entry);
          }
        })
      );
    }
    return Promise.all(pending);
  };

  return api;
})();
