/* geoapp map page, part 1 of 3: data. Loads the layers and keeps the feature registry.
 *
 * folium's script builds the map's frame and calls geoapp.start(map) (geoapp-ui.js),
 * which calls drawLayers() to draw the basemap and the thematic layers from JSON.
 */
"use strict";

window.geoapp = (function () {
  const api = {};
  /** Every thematic feature drawn: {feature, layer, layerId, sectors}. */
  api.entries = [];
  /** Leaflet GeoJSON layer of each thematic layer id. */
  api.groups = {};
  /** Fetches still running; start() waits for them. */
  api.pending = [];
  const fetches = {};
  let settingsCache = null;

  /** The page settings: one JSON blob written by the server. */
  api.settings = function () {
    if (settingsCache === null) {
      settingsCache = JSON.parse(document.getElementById("geoapp-settings").textContent);
    }
    return settingsCache;
  };

  /** Fetch a GeoJSON document once, however many layers draw from it. */
  api.fetchJSON = function (url) {
    if (!fetches[url]) {
      fetches[url] = fetch(url, { headers: { Accept: "application/geo+json" } }).then((r) => {
        if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
        return r.json();
      });
    }
    return fetches[url];
  };

  let embedded = null;

  /** A layer's GeoJSON: from the page's data block (standalone) or its URL (served). */
  api.layerData = function (layerId, kind) {
    const s = api.settings();
    if (s.standalone) {
      if (embedded === null) {
        embedded = JSON.parse(document.getElementById("geoapp-data").textContent);
      }
      return Promise.resolve(embedded[kind][layerId] || { type: "FeatureCollection", features: [] });
    }
    return api.fetchJSON(s.urls[layerId]);
  };

  /** Leaflet options of a thematic feature, as the server computed them from the style table. */
  function featureStyle(feature) {
    return api.settings().featureStyles[feature.properties.id] || {};
  }

  /** Draw the basemap and every thematic layer of the page into ``map``.
   *
   * The data arrives here as JSON only (fetched, or parsed from the page's data
   * block): it is never part of a script the server wrote.
   */
  api.drawLayers = function (map) {
    const s = api.settings();
    for (const part of s.basemap) {
      const group = L.geoJSON(null, { style: () => part.style, pane: "basemap", interactive: false });
      group.addTo(map);
      const keep = part.ids === null ? null : new Set(part.ids);
      api.pending.push(
        api.layerData(part.layer, "basemap").then((doc) => {
          const features = keep ? doc.features.filter((f) => keep.has(f.properties.id)) : doc.features;
          group.addData({ type: "FeatureCollection", features });
        })
      );
    }
    for (const layerId of s.drawn) {
      const options = {
        style: featureStyle,
        pointToLayer: (feature, latlng) => L.marker(latlng, { icon: L.divIcon(featureStyle(feature)) }),
        onEachFeature: api.onEachFeature,
      };
      if (s.panes[layerId]) options.pane = s.panes[layerId];
      const group = L.geoJSON(null, options).addTo(map);
      api.groups[layerId] = group;
      api.pending.push(
        api.layerData(layerId, "thematic").then((doc) => {
          group.addData(doc);
          if (api.started) api.apply();
        })
      );
    }
  };

  /** Called by Leaflet for each thematic feature: register it and bind its popup. */
  api.onEachFeature = function (feature, layer) {
    const props = feature.properties;
    api.entries.push({
      feature, layer, layerId: props.layer, sectors: props.sectors || [], painted: props.sector,
    });
    layer.bindTooltip(() => api.tooltip(props), { sticky: true, className: "feature-tooltip" });
    layer.bindPopup(() => api.popup(feature), { maxWidth: 340, maxHeight: 300, className: "feature-popup" });
  };

  /** A tooltip's content: the name as text, never parsed as markup (Leaflet would for a string). */
  api.tooltip = function (props) {
    const span = document.createElement("span");
    span.textContent = String(props.name);
    return span;
  };

  /** Whether a feature shows: its layer is on and one of its sectors is on. */
  api.isVisible = function (entry, state) {
    return state.layers.has(entry.layerId) && entry.sectors.some((s) => state.sectors.has(s));
  };

  /** The sector whose colour a feature wears: the rule of geoapp.styles.shown_sector(). */
  api.shownSector = function (props, selected) {
    if (selected.has(props.sector)) return props.sector;
    return (props.sectors || []).find((s) => selected.has(s)) || props.sector;
  };

  /** The drawn parts of a feature: itself, or each marker of a MultiPoint's group. */
  function parts(layer) {
    return layer.getLayers ? layer.getLayers().flatMap(parts) : [layer];
  }

  /** Colour a drawn feature by ``sector`` (paths by style, point symbols by their SVG). */
  function paint(entry, sector) {
    if (entry.painted === sector) return;
    const colour = api.settings().styles.sectors[sector].colour;
    let done = true;
    for (const part of parts(entry.layer)) {
      if (part.setStyle) {
        part.setStyle({ color: colour, fillColor: colour });
        continue;
      }
      const element = part.getElement && part.getElement();
      if (!element) {
        done = false;
        continue;
      }
      element.querySelectorAll("path").forEach((p) => p.setAttribute("fill", colour));
    }
    if (done) entry.painted = sector;
  }

  /** Add or remove each feature's Leaflet layer to match ``state``; return the visible ones. */
  api.show = function (state) {
    const visible = [];
    for (const entry of api.entries) {
      const group = api.groups[entry.layerId];
      if (!group) continue;
      const on = api.isVisible(entry, state);
      if (on) visible.push(entry);
      if (on && !group.hasLayer(entry.layer)) group.addLayer(entry.layer);
      if (on) paint(entry, api.shownSector(entry.feature.properties, state.sectors));
      if (!on && group.hasLayer(entry.layer)) {
        entry.layer.closePopup();
        group.removeLayer(entry.layer);
      }
    }
    return visible;
  };

  /** Legend entries for these features: the same rules as geoapp.styles.legend(). */
  api.legend = function (entries, selected) {
    const s = api.settings();
    const count = (keyOf) => {
      const counts = {};
      for (const e of entries) {
        for (const key of keyOf(e)) counts[key] = (counts[key] || 0) + 1;
      }
      return counts;
    };
    const bySector = count((e) => e.sectors.filter((sector) => selected.has(sector)));
    const byStatus = count((e) => [e.feature.properties.status]);
    const bySymbol = count((e) =>
      e.feature.geometry.type.endsWith("Point") && s.styles.symbols[e.layerId] ? [e.layerId] : []
    );
    const rows = [];
    for (const [key, label] of Object.entries(s.sectors)) {
      if (bySector[key]) {
        rows.push({ key: `sector:${key}`, label, count: bySector[key], colour: s.styles.sectors[key].colour });
      }
    }
    for (const [key, label] of Object.entries(s.statuses)) {
      if (byStatus[key]) {
        rows.push({ key: `status:${key}`, label, count: byStatus[key], dash: s.styles.statuses[key].dash || "" });
      }
    }
    for (const [layer, symbol] of Object.entries(s.styles.symbols)) {
      if (bySymbol[layer]) {
        rows.push({ key: `layer:${layer}`, label: s.styles.symbol_labels[layer], count: bySymbol[layer], symbol });
      }
    }
    return rows;
  };

  return api;
})();
