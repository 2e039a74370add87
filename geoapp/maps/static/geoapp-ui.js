/* geoapp map page, part 4 of 4: controls. Toggles, URL state, export links
 * and the fullscreen button (search: geoapp-search.js); started by folium's script
 * (geoapp.start(map)).
 */
"use strict";

(function (geoapp) {
  const SVG = "http://www.w3.org/2000/svg";

  /** The box on screen, ``minlon,minlat,maxlon,maxlat`` clamped to the world. */
  geoapp.viewBox = function (map) {
    const b = map.getBounds();
    return [
      clamp(b.getWest(), -180, 180),
      clamp(b.getSouth(), -90, 90),
      clamp(b.getEast(), -180, 180),
      clamp(b.getNorth(), -90, 90),
    ]
      .map((v) => v.toFixed(4))
      .join(",");
  };

  /** What the server is asked (/api/view): the toggles as query parameters, in the page's
   * (vocabulary) order, with the link's other filters (the server's canonical text,
   * carried as it came) and the box on screen, which the legend counts. */
  geoapp.stateQuery = function () {
    const params = new URLSearchParams(geoapp.settings().filters || "");
    for (const name of ["sectors", "layers"]) {
      const boxes = document.querySelectorAll(`input[name="${name.slice(0, -1)}"]`);
      params.set(name, Array.from(boxes).filter((b) => b.checked).map((b) => b.value).join(","));
    }
    // The towns context layer: on unless switched off (geoapp-places.js).
    if (geoapp.townsOn()) params.delete("towns");
    else params.set("towns", "off");
    // Time, status, country and source controls (geoapp-filters.js).
    if (geoapp.filterControls) geoapp.filterControls.write(params);
    if (geoapp.map) params.set("bbox", geoapp.viewBox(geoapp.map));
    return params.toString().replaceAll("%2C", ",");
  };

  function withoutBox(query) {
    const params = new URLSearchParams(query);
    params.delete("bbox");
    return params.toString();
  }

  function join(...queries) {
    return queries.filter((q) => q).join("&");
  }

  function clamp(v, low, high) {
    return Math.min(high, Math.max(low, v));
  }

  /** The Export menu's options (page, title) that apply to a format, as query text.
   * Which format takes which option is the server's rule, sent in the settings. */
  function exportOptions(format) {
    const params = new URLSearchParams();
    const formats = geoapp.settings().exportOptions || {};
    for (const control of document.querySelectorAll("#export-menu [data-option]")) {
      // Sent as typed: the server's rules (a blank title is the default) apply to it.
      const value = control.value;
      if (value && (formats[control.name] || []).includes(format)) params.set(control.name, value);
    }
    return params.toString();
  }

  /** Keep the address bar and the export links on what the user sees.
   *
   * Both carry the server's canonical filters of the answer on screen and the view
   * (centre and zoom); the links add the box on screen and the menu's options. */
  geoapp.syncUrl = function (map) {
    const answer = geoapp.answer;
    if (!answer) return;
    const s = geoapp.settings();
    const centre = map.getCenter().wrap();
    const d = s.centreDecimals;
    const view = `lat=${centre.lat.toFixed(d)}&lon=${centre.lng.toFixed(d)}&zoom=${map.getZoom()}`;
    // A link with the feature whose popup is open opens on it (/?feature=<id>).
    const open = geoapp.openFeature ? `feature=${encodeURIComponent(geoapp.openFeature)}` : "";
    // The reader's address names the article and its passage (#id), not the map's view.
    if (!s.standalone && !s.reading) history.replaceState(null, "", `${location.pathname}?${join(answer.query, view, open)}`);
    const box = `bbox=${geoapp.viewBox(map)}`;
    for (const link of document.querySelectorAll("#export-menu a[data-format]")) {
      const format = link.dataset.format;
      const base = answer.exports[format];
      link.href = `${base}${base.includes("?") ? "&" : "?"}${join(view, box, exportOptions(format))}`;
    }
  };

  /** Ask the server what the toggles show, then draw it and update the URL. */
  geoapp.apply = function () {
    const query = geoapp.stateQuery();
    // The first answer was asked for while the layers loaded (geoapp.start): use it if the
    // filters are the same. Its legend may count a box the map has since left: the move's
    // end asks again for the box on screen.
    const early = geoapp.earlyView && withoutBox(geoapp.earlyView.query) === withoutBox(query) ? geoapp.earlyView.answer : null;
    geoapp.earlyView = null;
    const answered = (early || geoapp.viewAnswer(query)).then((answer) => {
      // A later change may have been answered first: only the latest state is drawn. An
      // answer that is the latest asked is drawn even if the map has moved on since (a
      // drag in progress): the move's end asks again.
      if (query !== geoapp.stateQuery() && geoapp.applying !== answered) return geoapp.applying;
      geoapp.applyView(answer);
      if (geoapp.drawNames) geoapp.drawNames();
      if (geoapp.filterControls) geoapp.filterControls.show(answer);
      if (geoapp.featureList) geoapp.featureList.show(answer);
      if (geoapp.map) geoapp.syncUrl(geoapp.map);
      return answer;
    });
    geoapp.applying = answered;
    return answered;
  };

  /** Milliseconds a view must rest before the legend is asked for again. */
  const SETTLE_MS = 200;
  let settleTimer = null;
  let settle = null;

  /** Apply once the map has stopped moving: one request per pan or zoom, not per frame.
   * ``geoapp.applying`` is a promise of that answer from the first move on, so a caller
   * (or a test) that awaits it sees the legend of the view it stopped at. */
  geoapp.applySoon = function () {
    clearTimeout(settleTimer);
    if (settle === null) geoapp.applying = new Promise((resolve) => (settle = resolve));
    settleTimer = setTimeout(() => {
      const done = settle;
      settle = null;
      done(geoapp.apply());
    }, SETTLE_MS);
    return geoapp.applying;
  };

  /** Show a feature (switching its layer and sector on if needed), fly to it, open it. */
  geoapp.reveal = async function (entry) {
    const map = geoapp.map;
    if (geoapp.closeDrawer) geoapp.closeDrawer();
    if (!geoapp.isShown(entry)) {
      document.querySelector(`input[name="layer"][value="${entry.layerId}"]`).checked = true;
      const primary = entry.feature.properties.sector;
      document.querySelector(`input[name="sector"][value="${primary}"]`).checked = true;
      await geoapp.apply();
    }
    let opened = false;
    const layer = entry.target;
    const open = () => {
      if (!opened) {
        opened = true;
        layer.openPopup();
      }
    };
    map.once("moveend", open);
    const bounds = entry.leaflet.getBounds();
    if (bounds.getNorthEast().equals(bounds.getSouthWest())) {
      map.flyTo(bounds.getCenter(), Math.max(map.getZoom(), 8), { duration: 0.8 });
    } else {
      map.flyToBounds(bounds, { maxZoom: 8, duration: 0.8 });
    }
    setTimeout(open, 1500);
  };

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
      corners.setAttribute("stroke", "currentColor");
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

  /** Load the data, draw what the toggles show, then wire the controls. */
  geoapp.start = function (map) {
    geoapp.map = map;
    const s = geoapp.settings();
    map.getContainer().style.background = s.styles.basemap.water;
    new Fullscreen().addTo(map);
    // Keyboard, screen readers, the phone's drawer (geoapp-access.js).
    if (geoapp.initAccess) geoapp.initAccess(map);
    if (geoapp.initNames) geoapp.initNames(map);
    // The view's towns are asked for at once, beside the layers: names are placed when
    // both have come (geoapp-names.js draws with whatever has arrived).
    if (geoapp.initPlaces) geoapp.initPlaces(map);
    if (geoapp.refreshPlaces) geoapp.refreshPlaces();
    if (geoapp.initPick) geoapp.initPick(map);
    // The address bar names the feature whose popup is open, so that it can be shared.
    map.on("popupopen", (event) => {
      const box = event.popup.getElement().querySelector(".popup[data-feature-id]");
      geoapp.openFeature = box ? box.dataset.featureId : null;
      geoapp.syncUrl(map);
    });
    map.on("popupclose", () => {
      geoapp.openFeature = null;
      geoapp.syncUrl(map);
    });
    for (const input of document.querySelectorAll('input[name="sector"], input[name="layer"], input[name="towns"]')) {
      input.addEventListener("change", () => geoapp.apply());
    }
    map.on("moveend", () => {
      geoapp.syncUrl(map);
      // The legend counts what is in view: ask again (a standalone page has one answer).
      if (!s.standalone) geoapp.applySoon();
    });
    for (const control of document.querySelectorAll("#export-menu [data-option]")) {
      control.addEventListener("input", () => geoapp.syncUrl(map));
    }
    const status = document.getElementById("search-status");
    // Ask what shows at once, beside the layers, rather than after them.
    if (!s.standalone) {
      const query = geoapp.stateQuery();
      geoapp.earlyView = { query, answer: geoapp.viewAnswer(query) };
      geoapp.earlyView.answer.catch(() => {}); // a failure is reported by the apply that uses it
    }
    geoapp.ready = geoapp
      .load(map)
      .then(() => geoapp.apply())
      .then(
        () => {
          geoapp.initSearch();
          if (geoapp.initList) geoapp.initList();
          if (geoapp.initReader) geoapp.initReader();
          document.body.dataset.ready = "true";
        },
        (error) => {
          status.textContent = "Some layers could not be loaded; try reloading the page.";
          console.error("geoapp:", error);
        }
      );
  };
})(window.geoapp);
