/* geoapp map page: the time, status, country and source filters.
 *
 * The controls are written by the server from the data's vocabularies (map.html); this
 * script holds no list of values and computes no count. It turns the controls into
 * query parameters when geoapp.stateQuery asks (geoapp-ui.js), so that the address bar
 * and the Export links carry them, and shows the counts of each view answer.
 * A group the reader has not touched yet sends what the link said, as the link said it.
 */
"use strict";

(function (geoapp) {
  const FACETS = ["status", "country", "source"];
  /** Milliseconds between two steps of Play. */
  const PLAY_MS = 1200;
  const touched = new Set();
  let playing = null;

  const range = (end) => document.getElementById(`time-${end}`);
  const year = (end) => Number(range(end).value);

  function bounds() {
    const box = document.getElementById("time-filter");
    return [Number(box.dataset.min), Number(box.dataset.max)];
  }

  function showYears() {
    for (const end of ["from", "to"]) {
      document.getElementById(`time-${end}-year`).textContent = range(end).value;
    }
  }

  function setWindow(first, last) {
    range("from").value = String(first);
    range("to").value = String(last);
    showYears();
    touched.add("time");
    return geoapp.apply();
  }

  /** Advance a one-year window: the first year of the current window, then the next. */
  function step() {
    const [min, max] = bounds();
    const first = year("from");
    if (first !== year("to")) return setWindow(first, first);
    const next = first >= max ? min : first + 1;
    return setWindow(next, next);
  }

  function stop() {
    clearInterval(playing);
    playing = null;
    const button = document.getElementById("time-play");
    button.textContent = "Play";
    button.setAttribute("aria-pressed", "false");
  }

  function play() {
    if (playing !== null) return stop();
    const button = document.getElementById("time-play");
    button.textContent = "Pause";
    button.setAttribute("aria-pressed", "true");
    step();
    playing = setInterval(() => {
      if (year("from") >= bounds()[1]) return stop();
      step();
    }, PLAY_MS);
  }

  geoapp.filterControls = {
    /** Write the touched controls into the query parameters the page sends. */
    write(params) {
      for (const facet of FACETS) {
        if (!touched.has(facet)) continue;
        const boxes = document.querySelectorAll(`input[name="${facet}"]:checked`);
        const values = Array.from(boxes, (b) => b.value);
        if (values.length) params.set(facet, values.join(","));
        else params.delete(facet);
      }
      if (touched.has("time")) {
        const [min, max] = bounds();
        const [first, last] = [year("from"), year("to")];
        params.delete("from");
        params.delete("to");
        if (first !== min || last !== max) {
          params.set("from", String(first));
          params.set("to", String(last));
        }
      }
    },
    /** Show a view answer's counts beside each value. */
    show(answer) {
      const facets = answer.facets || {};
      for (const count of document.querySelectorAll(".facet .count[data-facet]")) {
        count.textContent = String((facets[count.dataset.facet] || {})[count.dataset.value] || 0);
      }
    },
  };

  function bind() {
    if (!document.getElementById("time-filter")) return;
    for (const facet of FACETS) {
      for (const box of document.querySelectorAll(`input[name="${facet}"]`)) {
        box.addEventListener("change", () => {
          touched.add(facet);
          geoapp.apply();
        });
      }
    }
    for (const end of ["from", "to"]) {
      const other = end === "from" ? "to" : "from";
      range(end).addEventListener("input", () => {
        // The window never turns inside out: one thumb pushes the other.
        const [first, last] = [year("from"), year("to")];
        if (first > last) range(other).value = range(end).value;
        showYears();
      });
      range(end).addEventListener("change", () => {
        stop();
        touched.add("time");
        geoapp.apply();
      });
    }
    document.getElementById("time-step").addEventListener("click", () => {
      stop();
      step();
    });
    document.getElementById("time-play").addEventListener("click", play);
    document.getElementById("time-all").addEventListener("click", () => {
      stop();
      setWindow(...bounds());
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})(window.geoapp);
