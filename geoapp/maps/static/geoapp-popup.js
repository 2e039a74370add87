/* geoapp map page, part 3 of 4: popups and tooltips. Every attribute of a feature, and its sources.
 *
 * Built with DOM nodes and textContent, never from HTML strings, so that no
 * text in the data can become markup.
 */
"use strict";

(function (geoapp) {
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function formatValue(field, value, s) {
    if (field.name === "sectors") return value.map((v) => s.sectors[v] || v).join(", ");
    if (field.name === "status") return s.statuses[value] || value;
    if (field.name === "country") return value.map((v) => s.countries[v] || v).join(", ");
    if (Array.isArray(value)) return value.join(", ");
    if (field.type === "number") return Number(value).toLocaleString("en");
    return String(value);
  }

  function sourcesList(sources, s) {
    const list = el("ol", "sources");
    for (const ref of sources || []) {
      const entry = s.sources[ref.article] || { title: ref.article };
      const item = el("li", "source");
      let title = el("cite", "source-title", entry.title);
      if (entry.url) {
        const link = el("a");
        link.href = entry.url;
        link.rel = "noopener noreferrer";
        link.target = "_blank";
        link.append(title);
        title = link;
      }
      item.append(title);
      if (entry.publisher) item.append(el("span", "source-publisher", ` (${entry.publisher})`));
      if (ref.section) item.append(el("span", "source-section", ` — ${ref.section}`));
      list.append(item);
    }
    return list;
  }

  /** The passages of ingested articles that mention a feature, each a link into the reader
   * (/articles/<id>#<passage>), named by the article's title and the passage's label. */
  function mentionsList(mentions, s) {
    const list = el("ol", "mentions");
    for (const m of mentions) {
      const item = el("li", "mention");
      const link = el("a", "", `${s.articles[m.article] || m.article}, ${m.label || m.passage}`);
      link.href = `${s.articlesUrl}/${encodeURIComponent(m.article)}#${encodeURIComponent(m.passage)}`;
      item.append(link);
      list.append(item);
    }
    return list;
  }

  /** A tooltip's content: the name as text, never parsed as markup (Leaflet would for a string). */
  geoapp.tooltip = function (props) {
    const span = document.createElement("span");
    span.textContent = String(props.name);
    return span;
  };

  /** Bind the tooltip and popup of a feature's Leaflet layer (built on demand, as text). */
  geoapp.onEachFeature = function (feature, layer) {
    const props = feature.properties;
    layer.bindTooltip(() => geoapp.tooltip(props), { sticky: true, className: "feature-tooltip" });
    // Sized when it opens (geoapp-access.js): measuring the map here, once per feature,
    // made the browser lay the page out again for each of them.
    layer.bindPopup(() => geoapp.popup(feature), { maxWidth: 360, className: "feature-popup" });
    // A click opens what is under the pointer, all of it (geoapp-pick.js); Enter on a
    // marker still opens its own popup.
    if (geoapp.takeClicks) geoapp.takeClicks(layer);
  };

  /** A popup's size for the map on screen: it fits beside the map's buttons (zoom, full
   * screen), which stay above it, and scrolls inside when longer. */
  geoapp.popupSize = function (map) {
    const { x, y } = map.getSize();
    const corner = map.getContainer().querySelector(".leaflet-top.leaflet-left");
    const buttons = corner ? Math.ceil(corner.getBoundingClientRect().width) : 0;
    // Leaflet adds up to 66 px of margins (44 px beside a phone's close button) and the tip
    // about 30 px: keep 10 px clear on each side.
    return {
      maxWidth: Math.max(120, Math.min(360, x - 90 - buttons)),
      maxHeight: Math.max(120, Math.min(640, y - 110)),
      autoPanPaddingTopLeft: [buttons + 10, 10],
      autoPanPaddingBottomRight: [10, 10],
    };
  };

  /** The popup of one feature: name, layer, every attribute present, then sources. */
  geoapp.popup = function (feature) {
    const s = geoapp.settings();
    const props = feature.properties;
    const box = el("div", "popup");
    // Focus moves here when the popup opens from the keyboard (geoapp-access.js).
    box.tabIndex = -1;
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", String(props.name));
    // The address bar names the feature whose popup is open (geoapp-ui.js).
    box.dataset.featureId = props.id;
    box.append(el("h3", "popup-name", props.name));
    box.append(el("p", "popup-layer", s.layers[props.layer] || props.layer));
    const rows = el("dl", "popup-fields");
    for (const field of s.fields) {
      const value = props[field.name];
      if (value === undefined || value === null || value === "" || field.type === "sources") continue;
      if (Array.isArray(value) && value.length === 0) continue;
      const term = el("dt", `field-${field.name}`, field.label);
      const detail = el("dd", `field-${field.name}`, formatValue(field, value, s));
      rows.append(term, detail);
    }
    box.append(rows);
    box.append(el("h4", "popup-sources", "Sources"));
    box.append(sourcesList(props.sources, s));
    if (Array.isArray(props.mentions) && props.mentions.length && s.articlesUrl) {
      box.append(el("h4", "popup-mentions", "Mentioned in"));
      box.append(mentionsList(props.mentions, s));
    }
    const link = geoapp.linkControl && geoapp.linkControl(props.id);
    if (link) box.append(link);
    return box;
  };
})(window.geoapp);
