"""Benchmark: image export of the full map, geoapp (matplotlib, on the server) vs folium.

folium's own image export is ``Map._to_png``: it writes the map's HTML to a
temporary file, opens it in a browser driven by Selenium, waits ``delay``
seconds (3 by default) for Leaflet to draw, screenshots the map and quits the
browser. That is how folium users get a PNG. Here the browser is Debian's
headless Chromium through /usr/bin/chromedriver, with the network blocked, and
the folium map carries the same layers and styles (geoapp.styles) as geoapp's.

Both sides make a 1600x1200 px image of every thematic layer over the bundled
basemap, in the same run, alternating, ``--runs`` times each:

- geoapp cold: the first PNG after clearing render's caches (projected views,
  transformers, font coverage, drawn PNG bodies);
  geoapp warm: a PNG drawn in full again (the projected view is kept, the drawn
  body is not); geoapp cached: the same PNG once more with a new title (the web's
  second download: only the title strip is drawn);
  geoapp PDF / SVG warm: the same map saved as PDF and SVG (text as text);
  geoapp CLI: ``geoapp export`` as a new process (Python start, imports, catalog
  load, export).
- folium cold: the first ``_to_png`` of the run at its default delay (3 s); folium
  warm: the next ones (each still starts a browser: ``_to_png`` quits the driver it
  is given); folium delay 0.5: ``_to_png(delay=0.5)``, the shortest wait at which
  Leaflet had drawn every layer here.

After each process (the CLI, the browser) the script pauses ``--settle`` seconds,
untimed, so that a process winding down does not share the CPU with the next timing.

Usage::

    .venv/bin/pip install 'selenium>=4.20'      # the 'bench' extra
    apt-get install -y chromium chromium-driver  # Debian packages
    .venv/bin/python bench/export_png.py --runs 5

Not a test: it prints medians and ratios; docs/export.md records them.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp import load_catalog, styles  # noqa: E402
from geoapp.config import DEFAULTS  # noqa: E402
from geoapp.data.catalog import Catalog  # noqa: E402
from geoapp.data.query import CASPIAN_BBOX, Query  # noqa: E402
from geoapp.data.schema import THEMATIC_LAYERS  # noqa: E402
from geoapp.export.formats import export_query  # noqa: E402
from geoapp.maps.printed import figure as render  # noqa: E402
from geoapp.maps.printed import projection, text  # noqa: E402
from geoapp.maps.printed.page import Page  # noqa: E402

WIDTH, HEIGHT = 1600, 1200
PAGE = Page.from_pixels(WIDTH, HEIGHT)
#: What ``geoapp export`` shows by default: every thematic layer over the Caspian region.
EVERYTHING = export_query(Query())


def layer_features(catalog: Catalog, layer: str) -> list[dict]:
    """Every feature of one layer, as the catalog gives them."""
    return catalog.query(Query(layers=(layer,)))[layer]


def geoapp_image(catalog: Catalog, fmt: str = "png", title: str | None = None) -> bytes:
    out = io.BytesIO()
    render.render_map(catalog, EVERYTHING, out, fmt, page=PAGE, title=title)
    return out.getvalue()


def geoapp_drawn_png(catalog: Catalog) -> bytes:
    """A PNG drawn in full: no drawn body kept from before (the projected view is)."""
    render._BODIES.of(catalog).clear()
    return geoapp_image(catalog)


def geoapp_cli(folder: Path) -> None:
    geoapp = Path(sys.executable).with_name("geoapp")
    done = subprocess.run(
        [str(geoapp), "export", "--out", str(folder / "cli.png"), "--size", f"{WIDTH}x{HEIGHT}"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"geoapp export failed: {done.stderr.strip()}")


def folium_map(catalog: Catalog):
    """A folium map of the same features, styled by geoapp.styles, with Leaflet from disk.

    The same features as geoapp draws: those in its frame (the default view widened to
    the page's shape), not only those in the bbox.
    """
    import folium
    import xstatic.pkg.leaflet as xs_leaflet

    leaflet = Path(xs_leaflet.BASE_DIR)
    m = folium.Map(tiles=None, zoom_control=False)
    # Instance attributes, never the class lists: no CDN, nothing but Leaflet.
    m.default_js = [("leaflet", (leaflet / "leaflet.js").as_uri())]
    m.default_css = [("leaflet_css", (leaflet / "leaflet.css").as_uri())]
    base = styles.BASEMAP_STYLE
    folium.GeoJson(
        {"type": "FeatureCollection", "features": layer_features(catalog, "basemap")},
        style_function=lambda f: {
            "color": base["edge"], "weight": 0.8, "fillColor": base["fill"], "fillOpacity": 1,
        },
    ).add_to(m)  # fmt: skip
    _, info = render.draw_map(catalog, EVERYTHING, page=PAGE)
    drawn = set(info.feature_ids)
    for layer in THEMATIC_LAYERS:
        features = [f for f in layer_features(catalog, layer) if f["properties"]["id"] in drawn]
        if not features:
            continue
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda f: styles.feature_style(f["properties"]).leaflet(),
            marker=folium.CircleMarker(radius=styles.POINT_RADIUS),
        ).add_to(m)
    m.fit_bounds([[CASPIAN_BBOX[1], CASPIAN_BBOX[0]], [CASPIAN_BBOX[3], CASPIAN_BBOX[2]]])
    return m


def chrome_driver():
    """Selenium's Chrome driver on Debian's chromium and chromedriver, with no network."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-extensions",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
        f"--window-size={WIDTH},{HEIGHT + 200}",
    ):  # fmt: skip
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def folium_png(catalog: Catalog, delay: float) -> bytes:
    m = folium_map(catalog)
    return m._to_png(delay=delay, driver=chrome_driver(), size=(WIDTH, HEIGHT))


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each (default 5)")
    parser.add_argument("--delay", type=float, default=3, help="folium _to_png delay (default 3)")
    parser.add_argument(
        "--settle", type=float, default=2, help="untimed pause after each process (default 2 s)"
    )
    parser.add_argument("--save", type=Path, help="folder to save one PNG of each side")
    args = parser.parse_args()

    catalog = load_catalog(DEFAULTS)
    times: dict[str, list[float]] = {
        name: []
        for name in ("geoapp cold", "geoapp warm", "geoapp cached", "geoapp PDF warm",
                     "geoapp SVG warm", "geoapp CLI", "folium cold", "folium warm",
                     "folium delay 0.5")
    }  # fmt: skip
    images: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.runs):
            # Cold: no projected view, no transformer, no font coverage cached.
            projection._CACHE.clear()
            projection._transformers.cache_clear()
            text._charmap.cache_clear()
            t, images["geoapp"] = timed(geoapp_drawn_png, catalog)
            times["geoapp cold"].append(t)
            for i in range(3):
                times["geoapp warm"].append(timed(geoapp_drawn_png, catalog)[0])
                times["geoapp cached"].append(timed(geoapp_image, catalog, "png", f"T{i}")[0])
                times["geoapp PDF warm"].append(timed(geoapp_image, catalog, "pdf")[0])
                times["geoapp SVG warm"].append(timed(geoapp_image, catalog, "svg")[0])
            times["geoapp CLI"].append(timed(geoapp_cli, Path(folder))[0])
            time.sleep(args.settle)
            t, images["folium"] = timed(folium_png, catalog, args.delay)
            times["folium cold" if run == 0 else "folium warm"].append(t)
            time.sleep(args.settle)  # Chromium's exit must not eat the next geoapp timing
            times["folium delay 0.5"].append(timed(folium_png, catalog, 0.5)[0])
            time.sleep(args.settle)
            print(f"run {run + 1}/{args.runs} done", file=sys.stderr)

    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, data in images.items():
            (args.save / f"{name}.png").write_bytes(data)

    med = {k: statistics.median(v) for k, v in times.items() if v}
    print(f"Image export, {WIDTH}x{HEIGHT} px, every thematic layer + basemap; {args.runs} runs")
    print(f"{'':18}{'median s':>10}{'n':>4}")
    for name, value in med.items():
        print(f"{name:18}{value:10.3f}{len(times[name]):4d}")
    folium_warm = med.get("folium warm", med["folium cold"])
    sleep_free = folium_warm - args.delay
    print(f"ratio folium warm / geoapp warm: {folium_warm / med['geoapp warm']:.1f}x (goal 10x)")
    print(
        f"ratio folium delay 0.5 / geoapp warm: "
        f"{med['folium delay 0.5'] / med['geoapp warm']:.1f}x (goal 4x)"
    )
    for fmt in ("PDF", "SVG"):
        print(
            f"ratio folium warm / geoapp {fmt} warm: {folium_warm / med[f'geoapp {fmt} warm']:.1f}x"
        )
    print(
        f"ratio folium warm / geoapp cached (new title): {folium_warm / med['geoapp cached']:.1f}x"
    )
    print(f"ratio folium cold / geoapp cold: {med['folium cold'] / med['geoapp cold']:.1f}x")
    print(f"ratio folium warm / geoapp CLI (new process): {folium_warm / med['geoapp CLI']:.1f}x")
    print(
        f"ratio without folium's {args.delay:g} s sleep (lower bound): "
        f"{sleep_free / med['geoapp warm']:.1f}x"
    )


if __name__ == "__main__":
    main()
