/* geoapp map page: an article beside the map (/articles/<id>). Both ways between text and map.
 *
 * The server writes the article (escaped) with its mentions as links to features and
 * the places it names that the map lacks as marks, and gives this script, as JSON,
 * each passage's features and places. Hovering a mention lights its feature up; a
 * click flies the map to it and opens it. Places mentioned but not mapped are drawn
 * as a suggestion layer of their own (dashed circles). Story mode: Next / Previous
 * (buttons, or the arrow keys outside the map and the form fields) step through the
 * passages that name places, flying the map to them; the address keeps the passage
 * (#<passage-id>), and a link to one opens the reader on it. No scroll-jacking.
 */
"use strict";

(function (geoapp) {
  const LIT = "lit";

  function parts(entry) {
    const out = [];
    if (!entry || !entry.leaflet) return out;
    entry.leaflet.eachLayer(function visit(layer) {
      if (layer.eachLayer) layer.eachLayer(visit);
      else if (layer.getElement && layer.getElement()) out.push(layer.getElement());
    });
    return out;
  }

  /** Light features up on the map (and dim the others' light): ids, or none. */
  function light(ids) {
    for (const el of document.querySelectorAll(`.leaflet-container .${LIT}`)) el.classList.remove(LIT);
    for (const id of ids) for (const el of parts(geoapp.byId.get(id))) el.classList.add(LIT);
  }

  function suggestionLayer(map, places) {
    const group = L.featureGroup().addTo(map);
    const markers = places.map((place) => {
      const marker = L.circleMarker([place.lat, place.lon], {
        radius: 8,
        color: "#6b3fa0",
        weight: 2,
        dashArray: "3 3",
        fill: true,
        fillOpacity: 0.08,
        className: "suggestion",
      });
      const name = document.createElement("span");
      name.textContent = `${place.name} (mentioned, not on the map)`;
      marker.bindTooltip(name, { className: "feature-tooltip" });
      const box = document.createElement("div");
      box.className = "popup suggestion-popup";
      box.tabIndex = -1;
      const title = document.createElement("h3");
      title.textContent = String(place.name);
      const what = document.createElement("p");
      what.textContent = `Named in the article; not on the map. ${place.lat.toFixed(4)}, ${place.lon.toFixed(4)}`;
      box.append(title, what);
      if (Number.isInteger(place.geonameid)) {
        const link = document.createElement("a");
        link.href = `https://www.geonames.org/${place.geonameid}`;
        link.rel = "noopener noreferrer";
        link.target = "_blank";
        link.textContent = `GeoNames ${place.geonameid}`;
        box.append(link);
      }
      marker.bindPopup(box, { className: "feature-popup" });
      marker.addTo(group);
      return marker;
    });
    return { group, markers };
  }

  /** Fly the map to a passage's features and places (the lot in view), then light them. */
  function flyTo(map, passage, places) {
    const bounds = L.latLngBounds([]);
    for (const id of passage.features) {
      const entry = geoapp.byId.get(id);
      if (entry && entry.leaflet && geoapp.isShown(entry)) bounds.extend(entry.leaflet.getBounds());
    }
    for (const index of passage.places) bounds.extend(places.markers[index].getLatLng());
    light(passage.features);
    if (!bounds.isValid()) return;
    if (bounds.getNorthEast().equals(bounds.getSouthWest())) map.flyTo(bounds.getCenter(), Math.max(map.getZoom(), 7), { duration: 0.8 });
    else map.flyToBounds(bounds, { maxZoom: 8, padding: [30, 30], duration: 0.8 });
  }

  geoapp.initReader = function () {
    const block = document.getElementById("geoapp-reader");
    const reader = document.getElementById("reader");
    if (!block || !reader) return;
    const data = JSON.parse(block.textContent);
    const map = geoapp.map;
    const places = suggestionLayer(map, data.places);
    const byId = new Map(data.passages.map((p) => [p.id, p]));
    const steps = data.passages.filter((p) => p.features.length || p.places.length);
    const where = document.getElementById("story-where");
    let current = -1;

    function show(index, { fly = true } = {}) {
      if (!steps.length) {
        where.textContent = "No passage names a place on the map.";
        return;
      }
      current = Math.max(0, Math.min(steps.length - 1, index));
      const step = steps[current];
      for (const el of reader.querySelectorAll(".passage.current")) el.classList.remove("current");
      const el = document.getElementById(step.id);
      el.classList.add("current");
      el.scrollIntoView({ block: "start", behavior: "smooth" });
      where.textContent = `${current + 1} of ${steps.length}: ${el.dataset.label}`;
      history.replaceState(null, "", `${location.pathname}${location.search}#${encodeURIComponent(step.id)}`);
      if (fly) flyTo(map, step, places);
      document.getElementById("story-prev").disabled = current === 0;
      document.getElementById("story-next").disabled = current === steps.length - 1;
    }
    geoapp.story = { show, steps, get current() { return current; } };

    document.getElementById("story-next").addEventListener("click", () => show(current + 1));
    document.getElementById("story-prev").addEventListener("click", () => show(current - 1));
    document.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      const active = document.activeElement;
      if (active && (active.closest(".leaflet-container") || active.matches("input, select, textarea"))) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      show(current + (event.key === "ArrowRight" ? 1 : -1));
    });

    for (const mention of reader.querySelectorAll("a.mention[data-feature-id]")) {
      const id = mention.dataset.featureId;
      mention.addEventListener("mouseenter", () => light([id]));
      mention.addEventListener("focus", () => light([id]));
      mention.addEventListener("mouseleave", () => light([]));
      mention.addEventListener("click", (event) => {
        const entry = geoapp.byId.get(id);
        if (!entry) return; // not on this page: the link opens the map on it
        event.preventDefault();
        geoapp.reveal(entry);
      });
    }
    const openPlace = (index) => {
      const marker = places.markers[Number(index)];
      if (!marker) return;
      map.flyTo(marker.getLatLng(), Math.max(map.getZoom(), 7), { duration: 0.8 });
      map.once("moveend", () => marker.openPopup());
    };
    for (const mark of reader.querySelectorAll("[data-place]")) {
      mark.addEventListener("click", () => openPlace(mark.dataset.place));
    }

    // A link to a passage (/articles/<id>#<passage>) opens on it, lit and in view.
    const wanted = decodeURIComponent(location.hash.slice(1));
    const target = byId.get(wanted);
    if (target) {
      const at = steps.indexOf(target);
      const el = document.getElementById(wanted);
      el.classList.add("current");
      el.scrollIntoView({ block: "start" });
      if (at >= 0) show(at);
      else {
        // Next goes on from here: the steps before this passage count as read.
        const before = (s) => el.compareDocumentPosition(document.getElementById(s.id)) & Node.DOCUMENT_POSITION_PRECEDING;
        current = steps.filter(before).length - 1;
        where.textContent = el.dataset.label;
      }
    } else if (steps.length) {
      where.textContent = `${steps.length} passages name places: Next to start`;
      document.getElementById("story-prev").disabled = true;
    }
  };
})(window.geoapp);
