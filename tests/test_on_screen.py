"""Exactly what is on screen (issue 10): the legend counts the view, exports carry the state.

Through Flask's test client on both providers (``client`` and ``catalog`` are
parametrised over files and PostGIS). Expected sets and counts are computed here
with shapely from the catalog's features, not taken from the answer under test.
"""

from __future__ import annotations

import io
import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import shapely
from PIL import Image
from shapely.geometry import shape

from geoapp import styles
from geoapp.cli import cli
from geoapp.data.query import FACES, Query, parse_query
from geoapp.data.schema import SECTORS
from geoapp.export.formats import export_query, formats_taking
from geoapp.maps.printed.page import MAX_TITLE, PRESETS

STATIC = Path(__file__).resolve().parent.parent / "geoapp" / "maps" / "static"

#: Around Turkmenbashi: a few of the operating features, not all of them.
NEAR_TURKMENBASHI = (52.0, 39.0, 54.5, 41.0)


def bbox_text(box: tuple[float, float, float, float]) -> str:
    return ",".join(f"{v:g}" for v in box)


def counts(rows: list[dict]) -> dict[str, int]:
    return {row["key"]: row["count"] for row in rows}


def in_box(features: list[dict], box: tuple[float, float, float, float]) -> list[dict]:
    """The features whose geometry intersects the box (shapely, not the provider)."""
    frame = shapely.box(*box)
    return [f for f in features if shape(f["geometry"]).intersects(frame)]


def kept(catalog, query: Query) -> list[dict]:
    return [f for fs in catalog.query(query).values() for f in fs]


# -- /api/view?bbox= ----------------------------------------------------------------------


def test_the_legend_counts_the_features_in_view_and_every_feature_is_still_drawn(client, catalog):
    everywhere = client.get("/api/view?status=operating").get_json()
    near = client.get(f"/api/view?status=operating&bbox={bbox_text(NEAR_TURKMENBASHI)}")
    assert near.status_code == 200
    near = near.get_json()

    operating = kept(catalog, Query(statuses=("operating",)))
    inside = in_box(operating, NEAR_TURKMENBASHI)
    assert 0 < len(inside) < len(operating), "the box should hold some operating features"
    # Drawn: every feature the filters keep, whatever the view (panning shows the rest).
    assert set(near["features"]) == {f["properties"]["id"] for f in operating}
    assert near["features"] == everywhere["features"] and near["count"] == len(operating)
    # Counted: what is in view, by the one legend function.
    assert counts(near["legend"]) == {e.key: e.count for e in styles.legend(inside, SECTORS)}
    assert counts(everywhere["legend"]) == {
        e.key: e.count for e in styles.legend(operating, SECTORS)
    }
    assert counts(near["legend"]) != counts(everywhere["legend"])
    # The box is the view, not a filter: the address bar and export links do not carry it.
    assert near["query"] == everywhere["query"] == "status=operating"
    assert all("bbox" not in link for link in near["exports"].values())


def test_the_legend_follows_the_box_with_the_sectors_switched_on(client, catalog):
    query = Query(sectors=("energy", "security"), statuses=("operating",))
    answer = client.get(
        f"/api/view?sectors=energy,security&status=operating&bbox={bbox_text(NEAR_TURKMENBASHI)}"
    ).get_json()
    inside = in_box(kept(catalog, query), NEAR_TURKMENBASHI)
    assert inside
    expected = styles.legend(inside, query.shown_sectors)
    assert counts(answer["legend"]) == {e.key: e.count for e in expected}
    assert "sector:trade" not in counts(answer["legend"])


def test_an_empty_view_has_an_empty_legend_and_still_draws(client):
    answer = client.get("/api/view?bbox=-10,-10,-9,-9").get_json()
    assert answer["legend"] == []
    assert answer["count"] > 0 and len(answer["features"]) == answer["count"]


def test_a_bad_view_box_is_a_400_naming_the_form(client):
    response = client.get("/api/view?bbox=52,39,54")
    assert response.status_code == 400
    assert "minlon,minlat,maxlon,maxlat" in response.get_data(as_text=True)


# -- the standalone html: where the screen was, with everything the filters keep ---------


def html_view(html: str) -> tuple[list[float], int, bool]:
    """The centre and zoom the file's map is created with, and whether it fits a box."""
    created = re.search(r"L\.map\(\s*\"map_\w+\",\s*\{\s*center: \[([^\]]+)\].*?\"zoom\": (\d+)",
                        html, re.S)  # fmt: skip
    assert created, "no L.map call"
    centre = [float(v) for v in created[1].split(",")]
    return centre, int(created[2]), bool(re.search(r"map_\w+\.fitBounds\(", html))


def data_block(html: str) -> dict:
    return json.loads(re.search(r'id="geoapp-data">(.*?)</script>', html, re.S)[1])


def test_html_export_opens_at_the_screens_centre_and_zoom_and_keeps_every_kept_feature(
    client, catalog
):
    box = bbox_text(NEAR_TURKMENBASHI)
    response = client.get(
        f"/export.html?status=operating&bbox={box}&lat=40.0123&lon=53.0456&zoom=8"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html_view(html) == ([40.0123, 53.0456], 8, False)

    data = data_block(html)
    operating = kept(catalog, Query(statuses=("operating",)))
    carried = {f["properties"]["id"] for fc in data["thematic"].values() for f in fc["features"]}
    inside = in_box(operating, NEAR_TURKMENBASHI)
    assert len(inside) < len(operating)
    # Beyond the box too: panning out in the file shows what the screen would.
    assert carried == set(data["view"]["features"]) == {f["properties"]["id"] for f in operating}
    # The legend counts the view, as the screen's did.
    assert counts(data["view"]["legend"]) == {
        e.key: e.count for e in styles.legend(inside, SECTORS)
    }


def test_html_export_without_a_centre_is_fitted_to_the_box(client):
    html = client.get(f"/export.html?bbox={bbox_text(NEAR_TURKMENBASHI)}").get_data(as_text=True)
    centre, _, fitted = html_view(html)
    assert fitted
    assert re.search(r"fitBounds\(\s*\[\[39\.0, 52\.0\], \[41\.0, 54\.5\]\]", html)


def test_only_the_html_keeps_the_screens_centre_and_zoom():
    query = parse_query({"bbox": "52,39,54.5,41", "lat": "40", "lon": "53", "zoom": "8"}, "export")
    assert export_query(query, "html").centre == (40.0, 53.0)
    assert export_query(query, "html").zoom == 8
    for fmt in ("png", "pdf", "geojson", "csv"):
        assert export_query(query, fmt) == export_query(query.replace(centre=None, zoom=None), fmt)


def test_cli_html_opens_where_asked_and_other_formats_refuse_the_centre(runner, tmp_path):
    out = tmp_path / "view.html"
    args = ["export", "--out", str(out), "--bbox", bbox_text(NEAR_TURKMENBASHI)]
    result = runner.invoke(cli, [*args, "--lat", "40", "--lon", "53", "--zoom", "8"])
    assert result.exit_code == 0, result.output
    assert html_view(out.read_text(encoding="utf-8")) == ([40.0, 53.0], 8, False)
    refused = runner.invoke(cli, ["export", "--out", str(tmp_path / "m.png"), "--zoom", "8"])
    assert refused.exit_code == 2
    assert "--zoom applies to html, not png" in refused.output
    bad = runner.invoke(cli, [*args, "--zoom", "30"])
    assert bad.exit_code == 2 and "2 to 18" in bad.output


# -- the Export menu: the page's whole state, a page choice and a title -------------------

#: Every filter the map page takes, each set: the export links must carry them all.
EVERY_FILTER = {
    "layers": "pipelines,ports,corridors",
    "sectors": "energy,trade",
    "sectors_match": "all",
    "status": "operating,proposed",
    "country": "TKM,RUS",
    "source": "rt-2025:trade,wikipedia-cac",
    "from": "2010",
    "to": "2030-06",
    "completed_by": "2027-12-31",
    "towns": "off",
}


def test_every_filter_of_the_page_is_an_export_parameter():
    """A filter added to the page later reaches the exports, or this fails: the links
    carry the page's state as the server wrote it, and the export must take it all."""
    # The page's ``q`` is its search box's text, not a filter (it lists matches).
    view = {"lat", "lon", "zoom", "feature", "q"}
    assert set(EVERY_FILTER) == set(FACES["map"]) - view
    assert set(FACES["map"]) - {"feature"} <= set(FACES["export"])


def test_export_links_carry_every_filter_of_the_page(client, catalog):
    answer = client.get("/api/view", query_string={**EVERY_FILTER, "bbox": "50,38,56,42"})
    assert answer.status_code == 200
    answer = answer.get_json()
    sources = catalog.source_values()
    expected = parse_query(EVERY_FILTER, "map", sources=sources)
    assert expected.sources == ("rt-2025:trade", "wikipedia-cac")
    assert parse_query(dict(parse_qsl(answer["query"])), "map", sources=sources) == expected
    for fmt, link in answer["exports"].items():
        route, _, text = link.partition("?")
        assert route == f"/export.{fmt}"
        given = dict(parse_qsl(text, keep_blank_values=True))
        assert parse_query(given, "export", sources=sources) == expected, fmt
    # The page's own links are the same before the script runs.
    html = client.get("/", query_string=EVERY_FILTER).get_data(as_text=True)
    links = dict(re.findall(r'<a data-format="(\w+)" href="([^"]+)"', html))
    assert {fmt: unescape(href) for fmt, href in links.items()} == answer["exports"]


def test_the_menu_offers_the_presets_and_a_title_and_the_script_learns_their_formats(client):
    html = client.get("/").get_data(as_text=True)
    select = re.search(r'<label for="export-page">Page</label>\s*<select id="export-page" '
                       r'name="preset" data-option>(.*?)</select>', html, re.S)  # fmt: skip
    assert select, "no labelled page choice in the Export menu"
    values = re.findall(r'<option value="([^"]*)">', select[1])
    assert values == ["", *PRESETS]  # the default (no preset) first, as Python lists them
    assert re.search(r'<label for="export-title">Title\b', html)
    assert f'id="export-title" name="title" type="text" maxlength="{MAX_TITLE}"' in html
    settings = json.loads(re.search(r'id="geoapp-settings">(.*?)</script>', html, re.S)[1])
    assert settings["exportOptions"] == {
        "preset": formats_taking("preset"),
        "title": formats_taking("title"),
    }
    # The names live in Python only: the scripts do not list them again.
    for name in ("geoapp-ui.js", "geoapp-data.js", "geoapp-render.js", "geoapp-popup.js"):
        script = (STATIC / name).read_text(encoding="utf-8")
        assert not any(preset in script for preset in PRESETS), name
        assert '"png"' not in script and "'png'" not in script, name


def test_a_preset_from_the_menu_sets_the_page(client):
    response = client.get("/export.png?preset=social-1200x675&bbox=50,38,56,42")
    assert response.status_code == 200
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.size == PRESETS["social-1200x675"].pixels


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("/export.png?preset=a3-landscape", ", ".join(PRESETS)),
        ("/export.pdf?preset=A4-landscape", ", ".join(PRESETS)),
        ("/export.png?preset=a4-landscape&size=1600x1000", "a preset or a size, not both"),
        ("/export.csv?preset=a4-landscape", "preset applies to png, svg and pdf, not csv"),
        ("/export.html?preset=slide-16x9", "preset applies to png, svg and pdf, not html"),
    ],
)
def test_a_bad_preset_is_a_400_naming_what_is_valid(client, url, said):
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert said in response.get_json()["description"]


def test_the_view_answer_gives_approximate_points_their_circle_in_metres(client):
    """Hazar-2012 is placed within 120 km: the page draws a 120 km zone under it, no clicks."""
    answer = client.get("/api/view?layers=events").get_json()
    look = answer["features"]["event-2012-turkmen-naval-drill"]
    assert look["uncertainty"]["radius"] == 120_000
    assert look["uncertainty"]["interactive"] is False
    assert "uncertainty" not in answer["features"]["event-2017-10-02-ashgabat-visit"]
    rows = {row["key"]: row for row in answer["legend"]}
    assert rows["position:approximate"]["count"] == 1
