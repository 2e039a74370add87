"""Exactly what is on screen (issue 10): the legend counts the view, exports carry the state.

Through Flask's test client on both providers (``client`` and ``catalog`` are
parametrised over files and PostGIS). Expected sets and counts are computed here
with shapely from the catalog's features, not taken from the answer under test.
"""

from __future__ import annotations

import shapely
from shapely.geometry import shape

from geoapp import styles
from geoapp.data.query import Query
from geoapp.data.schema import SECTORS

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
