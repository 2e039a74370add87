/* geoapp map page: the search box. The rule (accents, typos, aliases, the order) is the
 * server's (/api/search, geoapp.data.search); this lists its answer as buttons, best
 * first, and reveals the one chosen. Enter reveals the first; arrows move in the list.
 */
"use strict";

(function (geoapp) {
  /** Most matches listed (the server's own bound). */
  const LIMIT = 100;
  /** Milliseconds typing must rest before the list is asked for. */
  const TYPING_MS = 150;

  /** What the box says of an answer: the server's words (leaflet.search_status). */
  function statusOf(count, text) {
    if (!count) return `No feature matches “${text}”.`;
    return count === 1 ? "1 match." : `${count} matches, best first.`;
  }

  /** A standalone file has no server, so no search rule: the page offers the names it
   * can go to (names, aliases, places, from Python) in a native list that the browser
   * filters as one types, and goes to the one picked. */
  function offline(text) {
    const names = new Map(geoapp.settings().searchNames || []);
    const id = names.get(text);
    const entry = id && geoapp.entries.find((e) => e.id === id);
    return entry ? [{ id, name: entry.feature.properties.name, layer: entry.layerId }] : [];
  }

  function offerNames(input) {
    const names = geoapp.settings().searchNames;
    if (!names) return;
    const list = document.createElement("datalist");
    list.id = "search-names";
    list.append(...names.map(([text]) => Object.assign(document.createElement("option"), { value: text })));
    input.after(list);
    input.setAttribute("list", list.id);
  }

  /** The matches for a text, best first: ``[{id, name, layer, field, snippet?}]``. */
  geoapp.search = async function (text) {
    const url = geoapp.settings().searchUrl;
    if (!url) return offline(text);
    const response = await fetch(`${url}?${new URLSearchParams({ q: text, limit: LIMIT })}`);
    if (!response.ok) throw new Error(`search: ${response.status}`);
    return response.json();
  };

  /** Passages of the ingested articles holding every word (full-text), best first:
   * ``[{article, passage, snippet, title, label}]``; none on a page without articles. */
  geoapp.searchPassages = async function (text) {
    const url = geoapp.settings().passageSearchUrl;
    if (!url || !Object.keys(geoapp.settings().articles || {}).length) return [];
    const response = await fetch(`${url}?${new URLSearchParams({ q: text, limit: 20 })}`);
    if (!response.ok) return []; // words FTS cannot take (punctuation only): no passage
    return response.json();
  };

  /** A passage found in an article: a link into the reader, its matched words marked. */
  function passageLink(hit) {
    const s = geoapp.settings();
    const a = document.createElement("a");
    a.className = "search-passage";
    a.href = `${s.articlesUrl}/${encodeURIComponent(hit.article)}#${encodeURIComponent(hit.passage)}`;
    const where = document.createElement("span");
    where.className = "search-name";
    where.textContent = `${hit.title || hit.article}, ${hit.label || hit.passage}`;
    const words = document.createElement("span");
    words.className = "search-why";
    // The snippet marks matched words as [word]: each becomes a <mark>, as text.
    for (const [i, part] of String(hit.snippet).split(/\[([^\]]*)\]/).entries()) {
      if (i % 2) words.append(Object.assign(document.createElement("mark"), { textContent: part }));
      else words.append(part);
    }
    a.append(where, " ", words);
    const item = document.createElement("li");
    item.append(a);
    return item;
  }

  function heading(text) {
    const item = document.createElement("li");
    item.className = "search-heading";
    item.setAttribute("role", "presentation");
    item.textContent = text;
    return item;
  }

  /** Places found (kind "place"), by their id: a pick flies to them. */
  const placesFound = new Map();

  /** Fly to a town of the places layer and say what it is (GeoNames' facts, as text). */
  geoapp.revealPlace = function (place) {
    const map = geoapp.map;
    if (geoapp.closeDrawer) geoapp.closeDrawer();
    const box = document.createElement("div");
    box.className = "popup place-popup";
    box.tabIndex = -1;
    const title = document.createElement("h3");
    title.className = "popup-name";
    title.textContent = String(place.name);
    const what = document.createElement("p");
    const people = Number(place.population || 0).toLocaleString("en");
    what.textContent = `Town${place.country ? ` (${place.country})` : ""}, ${people} people (GeoNames)`;
    box.append(title, what);
    map.flyTo([place.lat, place.lon], Math.max(map.getZoom(), 9), { duration: 0.8 });
    map.once("moveend", () => L.popup({ className: "feature-popup" }).setLatLng([place.lat, place.lon]).setContent(box).openOn(map));
  };

  function button(match) {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.featureId = match.id;
    if (match.kind === "place") placesFound.set(match.id, match);
    const name = document.createElement("span");
    name.className = "search-name";
    name.textContent = match.name;
    const layer = document.createElement("span");
    layer.className = "search-layer";
    layer.textContent =
      match.kind === "place" ? `Town${match.country ? `, ${match.country}` : ""}` : geoapp.settings().layers[match.layer] || match.layer;
    b.append(name, " ", layer);
    if (match.snippet) {
      const why = document.createElement("span");
      why.className = "search-why";
      why.textContent = match.snippet;
      b.append(" ", why);
    }
    const item = document.createElement("li");
    item.append(b);
    return item;
  }

  geoapp.initSearch = function () {
    const form = document.getElementById("search");
    const input = document.getElementById("search-input");
    const status = document.getElementById("search-status");
    const list = document.getElementById("search-results");
    const buttons = () => Array.from(list.querySelectorAll("button[data-feature-id], a.search-passage"));
    offerNames(input);
    let asked = 0;
    let timer = null;

    function choose(id) {
      if (placesFound.has(id)) return geoapp.revealPlace(placesFound.get(id));
      const entry = geoapp.entries.find((e) => e.id === id);
      if (entry) geoapp.reveal(entry);
      else status.textContent = "That feature is not on this page's layers; add its layer in the link.";
    }

    /** Ask for the text's matches and list them; only the latest question is listed. */
    async function run(text) {
      const mine = ++asked;
      if (!text.trim()) {
        list.replaceChildren();
        status.textContent = "";
        return [];
      }
      let found;
      let passages = [];
      try {
        [found, passages] = await Promise.all([
          geoapp.search(text.trim()),
          geoapp.searchPassages(text.trim()).catch(() => []),
        ]);
      } catch (error) {
        if (mine === asked) status.textContent = "Search is not answering; try again.";
        console.warn("geoapp:", error);
        return [];
      }
      if (mine !== asked) return null;
      const items = found.map(button);
      if (passages.length) items.push(heading("In the articles"), ...passages.map(passageLink));
      list.replaceChildren(...items);
      const more = passages.length ? ` ${passages.length === 1 ? "1 passage" : `${passages.length} passages`} in the articles.` : "";
      status.textContent = (found.length || !passages.length ? statusOf(found.length, text.trim()) : "") + more;
      return found;
    }
    geoapp.runSearch = run;

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearTimeout(timer);
      const found = await run(input.value);
      const passage = list.querySelector("a.search-passage");
      if (found && found.length) choose(found[0].id);
      else if (found && passage) passage.click(); // only words in the articles: read the best
    });
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => run(input.value), TYPING_MS);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && buttons().length) {
        event.preventDefault();
        buttons()[0].focus();
      }
    });
    list.addEventListener("click", (event) => {
      const b = event.target.closest("button[data-feature-id]");
      if (b) choose(b.dataset.featureId);
    });
    list.addEventListener("keydown", (event) => {
      const all = buttons();
      const at = all.indexOf(document.activeElement);
      if (at < 0) return;
      const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: all.length - 1 }[event.key];
      if (event.key === "Escape" || to === -1) {
        event.preventDefault();
        input.focus();
      } else if (to !== undefined && all[to]) {
        event.preventDefault();
        all[to].focus();
      }
    });
    // Opened from the form before the scripts ran (/?q=...): the server listed the
    // matches; reveal the best, as Enter would have.
    if (form.dataset.opened === "true" && buttons().length) choose(buttons()[0].dataset.featureId);
  };
})(window.geoapp);
