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

  function button(match) {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.featureId = match.id;
    const name = document.createElement("span");
    name.className = "search-name";
    name.textContent = match.name;
    const layer = document.createElement("span");
    layer.className = "search-layer";
    layer.textContent = geoapp.settings().layers[match.layer] || match.layer;
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
    const buttons = () => Array.from(list.querySelectorAll("button[data-feature-id]"));
    offerNames(input);
    let asked = 0;
    let timer = null;

    function choose(id) {
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
      try {
        found = await geoapp.search(text.trim());
      } catch (error) {
        if (mine === asked) status.textContent = "Search is not answering; try again.";
        console.warn("geoapp:", error);
        return [];
      }
      if (mine !== asked) return null;
      list.replaceChildren(...found.map(button));
      status.textContent = statusOf(found.length, text.trim());
      return found;
    }
    geoapp.runSearch = run;

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearTimeout(timer);
      const found = await run(input.value);
      if (found && found.length) choose(found[0].id);
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
