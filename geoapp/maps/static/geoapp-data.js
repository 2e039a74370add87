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

  /** The URL of a basemap part at a zoom: the simplified level the server lists for it
   * (the first whose maxZoom reaches the zoom), else the layer as stored. */
  function partUrl(part, zoom) {
    const level = (part.levels || []).find((l) => zoom <= l.maxZoom);
    return level ? level.url : api.settings().urls[part.layer];
  }

  function basemapFeatures(part, doc) {
    const keep = part.ids === null ? null : new Set(part.ids);
    const features = keep ? doc.features.filter((f) => keep.has(f.properties.id)) : doc.features;
    return { type: "FeatureCollection", features };
  }

  /** Draw the basemap, and load every thematic feature of the page (drawn when shown). */
  api.load = function (map) {
    const s = api.settings();
    const pending = [];
    for (const part of s.basemap) {
      const group = L.geoJSON(null, { style: () => part.style, pane: "basemap", interactive: false });
      group.addTo(map);
      if (s.standalone) {
        pending.push(api.layerData(part.layer, "basemap").then((doc) => group.addData(basemapFeatures(part, doc))));
        continue;
      }
      // Zooming across a level swaps the drawing for the level's (the latest asked only).
      let drawn = null;
      const draw = () => {
        const url = partUrl(part, Math.round(map.getZoom()));
        if (url === drawn) return Promise.resolve();
        drawn = url;
        return api.fetchJSON(url).then((doc) => {
          if (drawn !== url) return;
          group.clearLayers();
          group.addData(basemapFeatures(part, doc));
        });
      };
      map.on("zoomend", () => draw().catch((error) => console.warn("geoapp:", error)));
      pending.push(draw());
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
