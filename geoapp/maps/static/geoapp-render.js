/* geoapp map page, part 2 of 4: rendering. Applies the server's view answer to the map.
 *
 * An answer lists the features that show, each with a style key and its CSS
 * classes, the Leaflet options of each style key, and the legend rows with their
 * swatches (SVG documents, shown as images). Applying it is bookkeeping only.
 */
"use strict";

(function (geoapp) {
  /** The drawn parts of a layer: itself, or every leaf of its groups (a MultiPoint's markers). */
  function leaves(layer) {
    return layer.getLayers ? layer.getLayers().flatMap(leaves) : [layer];
  }

  /** A marker's icon, named for screen readers (Leaflet gives a DivIcon role=button, no name). */
  const NamedIcon = L.DivIcon.extend({
    createIcon(old) {
      const div = L.DivIcon.prototype.createIcon.call(this, old);
      div.setAttribute("aria-label", this.options.label);
      return div;
    },
  });

  function icon(options, className, feature) {
    return new NamedIcon({ ...options, className, label: String(feature.properties.name) });
  }

  /** Draw a feature with these options, creating its Leaflet layer on first use. */
  function draw(entry, options, key, className) {
    const group = geoapp.groups[entry.layerId];
    const pane = geoapp.settings().panes[entry.layerId];
    if (entry.leaflet === null) {
      const withClass = { ...options, className };
      entry.leaflet = L.geoJSON(entry.feature, {
        style: () => withClass,
        pointToLayer: (feature, latlng) =>
          L.marker(latlng, { icon: icon(options, className, feature), pane: "markerPane" }),
        // Popups and tooltips go on the feature's own layer (a marker, a path, or the
        // group of a MultiPoint's markers), which is what a reader clicks.
        onEachFeature: (feature, layer) => {
          geoapp.onEachFeature(feature, layer);
          entry.target = layer;
        },
        ...(pane ? { pane } : {}),
      });
      entry.styleKey = key;
    } else if (entry.styleKey !== key) {
      for (const part of leaves(entry.leaflet)) {
        if (part.setIcon) part.setIcon(icon(options, className, entry.feature));
        else if (part.setStyle) part.setStyle(options);
      }
      entry.styleKey = key;
    }
    if (!group.hasLayer(entry.leaflet)) group.addLayer(entry.leaflet);
  }

  /** The soft circle the server gives an approximate point (radius in metres), or none. */
  function drawUncertainty(entry, options) {
    const group = geoapp.groups[entry.layerId];
    if (entry.uncertainty && (!options || entry.uncertaintyKey !== JSON.stringify(options))) {
      group.removeLayer(entry.uncertainty);
      entry.uncertainty = null;
    }
    if (options && !entry.uncertainty) {
      const [lon, lat] = entry.feature.geometry.coordinates;
      entry.uncertainty = L.circle([lat, lon], options);
      entry.uncertaintyKey = JSON.stringify(options);
    }
    if (entry.uncertainty && !group.hasLayer(entry.uncertainty)) group.addLayer(entry.uncertainty);
  }

  function hide(entry) {
    const group = geoapp.groups[entry.layerId];
    if (entry.leaflet && group.hasLayer(entry.leaflet)) {
      entry.leaflet.closePopup();
      group.removeLayer(entry.leaflet);
    }
    drawUncertainty(entry, null);
  }

  /** Whether a feature is drawn now. */
  geoapp.isShown = function (entry) {
    return entry.leaflet !== null && geoapp.groups[entry.layerId].hasLayer(entry.leaflet);
  };

  /** A swatch as an image: the SVG comes from the server's style table, never from data. */
  function swatchImage(svg) {
    const img = document.createElement("img");
    img.alt = "";
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
    return img;
  }

  geoapp.renderLegend = function (rows) {
    const items = rows.map((row) => {
      const li = document.createElement("li");
      li.dataset.key = row.key;
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.append(swatchImage(row.swatch));
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = row.label;
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = row.count;
      li.append(swatch, label, " ", count);
      return li;
    });
    document.getElementById("legend").replaceChildren(...items);
  };

  /** Apply a view answer: show, hide and restyle features, redraw the legend. */
  geoapp.applyView = function (answer) {
    for (const entry of geoapp.entries) {
      const look = answer.features[entry.id];
      if (look) {
        draw(entry, answer.styles[look.style], look.style, look.className);
        drawUncertainty(entry, look.uncertainty || null);
      } else hide(entry);
    }
    geoapp.renderLegend(answer.legend);
    geoapp.answer = answer;
    return answer;
  };
})(window.geoapp);
