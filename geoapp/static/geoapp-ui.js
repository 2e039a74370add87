/* geoapp map page, part 3 of 3: controls. Toggles, legend, URL state, search, export
 * links and the fullscreen button; started by folium's script once every layer is
 * registered (geoapp.start(map)).
 */
"use strict";

(function (geoapp) {
  const SVG = "http://www.w3.org/2000/svg";

  function checked(name) {
    const boxes = document.querySelectorAll(`input[name="${name}"]`);
    return new Set(Array.from(boxes).filter((b) => b.checked).map((b) => b.value));
  }

  /** The toggles' state, in vocabulary order (the order the server writes too). */
  geoapp.state = function () {
    return { sectors: checked("sector"), layers: checked("layer") };
  };

  function ordered(set, vocabulary) {
    return Object.keys(vocabulary).filter((k) => set.has(k));
  }

  function svgSymbol(path, size) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", size);
    svg.setAttribute("height", size);
    svg.setAttribute("viewBox", "-1 -1 22 22");
    const shape = document.createElementNS(SVG, "path");
    shape.setAttribute("d", path);
    shape.setAttribute("fill", "#8a8a8a");
    shape.setAttribute("stroke", "#222");
    shape.setAttribute("stroke-width", "1.5");
    svg.append(shape);
    return svg;
  }

  function svgDash(dash, width) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", 28);
    svg.setAttribute("height", 10);
    const line = document.createElementNS(SVG, "line");
    for (const [k, v] of Object.entries({ x1: 1, y1: 5, x2: 27, y2: 5, stroke: "#333" })) {
      line.setAttribute(k, v);
    }
    line.setAttribute("stroke-width", width);
    if (dash) line.setAttribute("stroke-dasharray", dash);
    svg.append(line);
    return svg;
  }

  /** Redraw the legend: only what is visible, with a count per entry. */
  geoapp.renderLegend = function (visible, selected) {
    const s = geoapp.settings();
    const list = document.getElementById("legend");
    const items = geoapp.legend(visible, selected).map((row) => {
      const li = document.createElement("li");
      li.dataset.key = row.key;
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      if (row.symbol) {
        swatch.append(svgSymbol(s.styles.symbol_paths[row.symbol], 16));
      } else if (row.colour) {
        const fill = document.createElement("span");
        fill.className = "swatch-fill";
        fill.style.background = row.colour;
        swatch.append(fill);
      } else {
        swatch.append(svgDash(row.dash, 2.5));
      }
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = row.label;
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = row.count;
      li.append(swatch, label, " ", count);
      return li;
    });
    list.replaceChildren(...items);
  };

  function viewQuery(map, state) {
    const s = geoapp.settings();
    const centre = map.getCenter().wrap();
    const d = s.centreDecimals;
    return (
      `sectors=${ordered(state.sectors, s.sectors).join(",")}` +
      `&layers=${ordered(state.layers, s.layers).join(",")}` +
      `&lat=${centre.lat.toFixed(d)}&lon=${centre.lng.toFixed(d)}&zoom=${map.getZoom()}`
    );
  }

  function clamp(v, low, high) {
    return Math.min(high, Math.max(low, v));
  }

  /** Keep the address bar and the export links on what the user sees. */
  geoapp.syncUrl = function (map, state) {
    const s = geoapp.settings();
    if (!s.standalone) {
      history.replaceState(null, "", `${location.pathname}?${viewQuery(map, state)}`);
    }
    const b = map.getBounds();
    const bbox = [
      clamp(b.getWest(), -180, 180),
      clamp(b.getSouth(), -90, 90),
      clamp(b.getEast(), -180, 180),
      clamp(b.getNorth(), -90, 90),
    ].map((v) => v.toFixed(4));
    const query =
      `sectors=${ordered(state.sectors, s.sectors).join(",")}` +
      `&layers=${ordered(state.layers, s.layers).join(",")}&bbox=${bbox.join(",")}`;
    for (const link of document.querySelectorAll("#export-menu a[data-format]")) {
      // Keep the path the server wrote (it knows any mount prefix); replace the query.
      link.href = `${link.getAttribute("href").split("?")[0]}?${query}`;
    }
  };

  /** Apply the toggles: show/hide features, redraw the legend, update the URL. */
  geoapp.apply = function () {
    const state = geoapp.state();
    const visible = geoapp.show(state);
    geoapp.renderLegend(visible, state.sectors);
    if (geoapp.map) geoapp.syncUrl(geoapp.map, state);
    return visible;
  };

  function rank(name, needle) {
    const n = name.toLocaleLowerCase();
    if (!n.includes(needle)) return null;
    return [n.startsWith(needle) ? 0 : 1, n.length];
  }

  /** The best feature for a search: name contains the text, prefix first, shortest first. */
  geoapp.find = function (text) {
    const needle = text.trim().toLocaleLowerCase();
    if (!needle) return null;
    let best = null;
    for (const entry of geoapp.entries) {
      const r = rank(entry.feature.properties.name, needle);
      if (r && (!best || r[0] < best.r[0] || (r[0] === best.r[0] && r[1] < best.r[1]))) {
        best = { entry, r };
      }
    }
    return best && best.entry;
  };

  /** Show a feature (switching its layer and sector on if needed), fly to it, open it. */
  geoapp.reveal = function (entry) {
    const map = geoapp.map;
    if (!geoapp.isVisible(entry, geoapp.state())) {
      document.querySelector(`input[name="layer"][value="${entry.layerId}"]`).checked = true;
      const primary = entry.feature.properties.sector;
      document.querySelector(`input[name="sector"][value="${primary}"]`).checked = true;
      geoapp.apply();
    }
    let opened = false;
    const open = () => {
      if (!opened) {
        opened = true;
        entry.layer.openPopup();
      }
    };
    map.once("moveend", open);
    if (entry.layer.getLatLng) {
      map.flyTo(entry.layer.getLatLng(), Math.max(map.getZoom(), 8), { duration: 0.8 });
    } else {
      map.flyToBounds(entry.layer.getBounds(), { maxZoom: 8, duration: 0.8 });
    }
    setTimeout(open, 1500);
  };

  function initSearch() {
    const form = document.getElementById("search");
    const input = document.getElementById("search-input");
    const status = document.getElementById("search-status");
    const names = document.getElementById("search-names");
    const options = geoapp.entries
      .map((e) => e.feature.properties.name)
      .sort()
      .map((name) => {
        const option = document.createElement("option");
        option.value = name;
        return option;
      });
    names.replaceChildren(...options);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const entry = geoapp.find(input.value);
      status.textContent = entry ? "" : `No feature named “${input.value.trim()}”.`;
      if (entry) geoapp.reveal(entry);
    });
  }

  const Fullscreen = L.Control.extend({
    options: { position: "topleft" },
    onAdd(map) {
      const box = L.DomUtil.create("div", "leaflet-bar geoapp-fullscreen");
      const button = L.DomUtil.create("a", "", box);
      button.href = "#";
      button.role = "button";
      button.title = "Full screen";
      button.setAttribute("aria-label", "Full screen");
      const icon = document.createElementNS(SVG, "svg");
      icon.setAttribute("width", 16);
      icon.setAttribute("height", 16);
      icon.setAttribute("viewBox", "0 0 16 16");
      const corners = document.createElementNS(SVG, "path");
      corners.setAttribute("d", "M1 6V1H6M10 1H15V6M15 10V15H10M6 15H1V10");
      corners.setAttribute("fill", "none");
      corners.setAttribute("stroke", "#333");
      corners.setAttribute("stroke-width", "2");
      icon.append(corners);
      button.append(icon);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.on(button, "click", (event) => {
        L.DomEvent.preventDefault(event);
        const target = document.getElementById("map-box") || map.getContainer();
        if (document.fullscreenElement) document.exitFullscreen();
        else if (target.requestFullscreen) target.requestFullscreen();
      });
      document.addEventListener("fullscreenchange", () => map.invalidateSize());
      return box;
    },
  });

  /** Draw the layers, then wire the controls to the map once every layer has its data. */
  geoapp.start = function (map) {
    geoapp.map = map;
    geoapp.drawLayers(map);
    map.getContainer().style.background = geoapp.settings().styles.basemap.water;
    new Fullscreen().addTo(map);
    for (const input of document.querySelectorAll('input[name="sector"], input[name="layer"]')) {
      input.addEventListener("change", () => geoapp.apply());
    }
    map.on("moveend", () => geoapp.syncUrl(map, geoapp.state()));
    const status = document.getElementById("search-status");
    geoapp.ready = Promise.all(geoapp.pending).then(
      () => {
        geoapp.started = true;
        geoapp.apply();
        initSearch();
        document.body.dataset.ready = "true";
      },
      (error) => {
        status.textContent = "Some layers could not be loaded; try reloading the page.";
        console.error("geoapp:", error);
      }
    );
  };
})(window.geoapp);
