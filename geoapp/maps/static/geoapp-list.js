/* geoapp map page: the feature list and the links to one feature.
 *
 * The list is a table of every feature the server's view answer shows (its ids),
 * with names and attributes from the loaded data, labels from the page settings
 * (vocabularies written by Python) and the date each feature is listed with from
 * the answer (schema.time_label). A row's button (or a click on the row) reveals
 * the feature: it is how a keyboard or screen-reader user reaches lines and areas.
 * Built with DOM nodes and textContent only: no text of the data becomes markup.
 */
"use strict";

(function (geoapp) {
  /** Each column: how its cell reads, and the value it sorts by. */
  const COLUMNS = {
    name: (p) => p.name,
    layer: (p, s) => s.layers[p.layer] || p.layer,
    sectors: (p, s) => (p.sectors || []).map((v) => s.sectors[v] || v).join(", "),
    status: (p, s) => s.statuses[p.status] || p.status,
    when: (p, s, look) => (look.when ? look.when.text : ""),
    country: (p, s) => (p.country || []).map((v) => s.countries[v] || v).join(", "),
  };
  const sortKey = {
    when: (p, s, look) => (look.when ? look.when.sort : ""),
  };
  const order = { column: "name", direction: "ascending" };
  let rows = [];

  function cellText(column, entry, look) {
    return String(COLUMNS[column](entry.feature.properties, geoapp.settings(), look) || "");
  }

  function row(entry, look) {
    const tr = document.createElement("tr");
    tr.dataset.featureId = entry.id;
    for (const column of Object.keys(COLUMNS)) {
      const cell = document.createElement(column === "name" ? "th" : "td");
      if (column === "name") {
        cell.scope = "row";
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = cellText(column, entry, look);
        cell.append(button);
      } else cell.textContent = cellText(column, entry, look);
      cell.className = `col-${column}`;
      tr.append(cell);
    }
    return tr;
  }

  // Made once: localeCompare with options builds a collator on every call.
  const byText = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
  const byName = new Intl.Collator("en");

  function sorted() {
    const s = geoapp.settings();
    const key = sortKey[order.column] || COLUMNS[order.column];
    const value = (r) => String(key(r.entry.feature.properties, s, r.look) || "");
    const sign = order.direction === "ascending" ? 1 : -1;
    return rows.slice().sort((a, b) => {
      const [x, y] = [value(a), value(b)];
      // Empty cells last whichever the direction; ties by name.
      if (!x !== !y) return x ? -1 : 1;
      const by = sign * byText.compare(x, y);
      return by || byName.compare(a.entry.feature.properties.name, b.entry.feature.properties.name);
    });
  }

  function draw() {
    const body = document.querySelector("#feature-list tbody");
    body.replaceChildren(...sorted().map((r) => row(r.entry, r.look)));
    for (const th of document.querySelectorAll("#feature-list thead th[data-column]")) {
      th.setAttribute("aria-sort", th.dataset.column === order.column ? order.direction : "none");
    }
  }

  geoapp.featureList = {
    /** List the features of a view answer (every one it shows that the page has loaded). */
    show(answer) {
      if (!document.getElementById("feature-list")) return;
      rows = geoapp.entries
        .filter((entry) => answer.features[entry.id])
        .map((entry) => ({ entry, look: answer.features[entry.id] }));
      document.getElementById("feature-count").textContent = String(rows.length);
      draw();
    },
  };

  /** A popup's "Link to this": the link to the feature, and a copy button where the
   * Clipboard API is available (the link alone otherwise). None in a standalone file. */
  geoapp.linkControl = function (id) {
    const base = geoapp.settings().featureUrl;
    if (!base) return null;
    const box = document.createElement("p");
    box.className = "popup-link";
    const link = document.createElement("a");
    link.href = base + encodeURIComponent(id);
    link.textContent = "Link to this";
    box.append(link);
    if (navigator.clipboard && window.isSecureContext) {
      const copy = document.createElement("button");
      copy.type = "button";
      copy.textContent = "Copy link";
      copy.addEventListener("click", () => {
        navigator.clipboard.writeText(link.href).then(
          () => (copy.textContent = "Copied"),
          () => (copy.textContent = "Copy failed")
        );
      });
      box.append(" ", copy);
    }
    return box;
  };

  function reveal(id) {
    const entry = geoapp.byId.get(id);
    if (entry) geoapp.reveal(entry);
  }

  /** Wire the list; a page opened on one feature (/?feature=<id>) opens its popup. */
  geoapp.initList = function () {
    const table = document.getElementById("feature-list");
    if (table) {
      table.querySelector("thead").addEventListener("click", (event) => {
        const th = event.target.closest("th[data-column]");
        if (!th) return;
        const again = order.column === th.dataset.column && order.direction === "ascending";
        order.column = th.dataset.column;
        order.direction = again ? "descending" : "ascending";
        draw();
      });
      // A click anywhere on a row; Enter or Space on its button clicks it.
      table.querySelector("tbody").addEventListener("click", (event) => {
        const tr = event.target.closest("tr[data-feature-id]");
        if (tr) reveal(tr.dataset.featureId);
      });
    }
    const focus = geoapp.settings().feature;
    const entry = focus && geoapp.byId.get(focus);
    if (entry && entry.target) {
      // The server fitted the map to it and switched on what it needs: open it here.
      entry.target.openPopup();
    }
  };
})(window.geoapp);
