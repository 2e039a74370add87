/* geoapp map page: keyboard, screen readers and small screens.
 *
 * The skip link, the map's controls before its markers in the tab order, popups
 * that take the focus when opened from the keyboard and give it back when closed
 * (Esc closes them), popups sized to the screen, the panel as a drawer on a phone,
 * and the basemap's credit in the attribution line. Started by geoapp.start(map).
 */
"use strict";

(function (geoapp) {
  /** The phone layout: the width below which the panel is a drawer (geoapp.css agrees). */
  const NARROW = window.matchMedia("(max-width: 600px)");

  /** How the reader last acted: "keyboard" or "pointer" (focus moves only for the keyboard). */
  let modality = "pointer";
  document.addEventListener("keydown", () => (modality = "keyboard"), true);
  document.addEventListener("pointerdown", () => (modality = "pointer"), true);

  function focusQuietly(element) {
    // A scroll inside Leaflet's container would shift the map under its panes.
    if (element && element.isConnected) element.focus({ preventScroll: true });
  }

  /** The panel as a drawer on a narrow screen: a button opens and closes it. */
  function initDrawer() {
    const button = document.getElementById("panel-toggle");
    const panel = document.getElementById("panel");
    if (!button || !panel) return;
    // Beside an article (the reader), the panel is a drawer at every width: the article
    // takes its column.
    const drawer = () => NARROW.matches || document.body.classList.contains("reading");
    const set = (open) => {
      button.setAttribute("aria-expanded", String(open));
      if (drawer()) document.body.dataset.drawer = open ? "open" : "closed";
      else delete document.body.dataset.drawer;
    };
    const layout = () => {
      button.hidden = !drawer();
      set(!drawer());
    };
    layout();
    NARROW.addEventListener("change", layout);
    button.addEventListener("click", () => set(button.getAttribute("aria-expanded") !== "true"));
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.defaultPrevented && document.body.dataset.drawer === "open") {
        set(false);
        button.focus();
      }
    });
    /** Close the drawer (a phone), so that what the reader picked shows on the map. */
    geoapp.closeDrawer = () => {
      if (drawer()) set(false);
    };
  }

  let townsCredited = false;

  /** GeoNames' credit on the attribution line while the towns show, and only then. */
  function creditTowns(map) {
    const credit = geoapp.settings().townsAttribution;
    const on = Boolean(credit) && (!geoapp.townsOn || geoapp.townsOn());
    if (!map.attributionControl || on === townsCredited) return;
    if (on) map.attributionControl.addAttribution(credit);
    else map.attributionControl.removeAttribution(credit);
    townsCredited = on;
  }

  /** Popups: sized to the map, focused from the keyboard, closed by Esc, focus given back. */
  function initPopups(map) {
    const container = map.getContainer();
    let open = null;
    let opener = null;
    map.on("popupopen", (event) => {
      const popup = event.popup;
      const size = geoapp.popupSize(map);
      if (Object.keys(size).some((k) => String(popup.options[k]) !== String(size[k]))) {
        Object.assign(popup.options, size);
        popup.update();
      }
      const active = document.activeElement;
      const inside = popup.getElement().contains(active);
      opener = active && active !== document.body && !inside ? active : opener;
      open = popup;
      if (modality === "keyboard") focusQuietly(popup.getElement().querySelector(".popup"));
    });
    map.on("popupclose", (event) => {
      const element = event.popup.getElement();
      const lost = document.activeElement === document.body || (element && element.contains(document.activeElement));
      if (open === event.popup) open = null;
      if (lost) focusQuietly(opener);
    });
    document.addEventListener(
      "keydown",
      (event) => {
        if (event.key !== "Escape" || !open) return;
        const active = document.activeElement;
        if (!(container.contains(active) || active === opener || active === document.body)) return;
        event.preventDefault();
        event.stopPropagation();
        const back = opener;
        map.closePopup();
        focusQuietly(back);
      },
      true
    );
  }

  geoapp.initAccess = function (map) {
    const container = map.getContainer();
    // Controls (zoom, full screen, layers) before the markers in the tab order: Leaflet
    // puts its control corners after the panes; they are positioned, so order is free.
    const controls = container.querySelector(".leaflet-control-container");
    if (controls) container.prepend(controls);
    const skip = document.querySelector(".skip-link");
    if (skip) {
      skip.addEventListener("click", (event) => {
        event.preventDefault();
        focusQuietly(container);
      });
    }
    container.setAttribute("role", "region");
    container.setAttribute("aria-label", "Map (arrow keys pan, plus and minus zoom)");
    const credit = geoapp.settings().attribution;
    if (credit && map.attributionControl) map.attributionControl.addAttribution(credit);
    creditTowns(map);
    const towns = document.getElementById("towns-toggle");
    if (towns) towns.addEventListener("change", () => creditTowns(map));
    initDrawer();
    initPopups(map);
  };
})(window.geoapp);
