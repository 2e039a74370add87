"""GDAL's OAPIF driver (through pyogrio) reads every collection as the files hold it."""

from __future__ import annotations

from pathlib import Path

import geopandas
import numpy as np
import pandas as pd
import pytest

from geoapp.config import DEFAULTS
from geoapp.data.schema import LAYERS
from tests.data import features as stored


def comparable(frame: geopandas.GeoDataFrame) -> pd.DataFrame:
    """Attributes with list values turned into tuples, so that frames compare cell by cell."""
    out = pd.DataFrame(frame.drop(columns="geometry"))
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = [
                tuple(v) if isinstance(v, (list, np.ndarray)) else v for v in out[column]
            ]
    return out


@pytest.mark.parametrize("layer_id", list(LAYERS))
def test_gdal_reads_each_collection_like_the_file(live_server, layer_id):
    served = geopandas.read_file(f"OAPIF:{live_server}/ogc", layer=layer_id)
    authored = geopandas.read_file(Path(DEFAULTS["DATA_DIR"]) / LAYERS[layer_id].filename)
    assert len(served) == len(authored)
    pd.testing.assert_frame_equal(comparable(served), comparable(authored))
    assert served.geometry.geom_equals_exact(authored.geometry, tolerance=1e-9).all()
    assert served.crs.equals(authored.crs)


def test_gdal_lists_every_collection(live_server):
    import pyogrio

    names = [name for name, _ in pyogrio.list_layers(f"OAPIF:{live_server}/ogc")]
    assert names == [*LAYERS, "places"]


def test_gdal_follows_next_links_with_small_pages(live_server):
    authored = geopandas.read_file(Path(DEFAULTS["DATA_DIR"]) / "basemap.geojson")
    served = geopandas.read_file(f"OAPIF:{live_server}/ogc", layer="basemap", PAGE_SIZE=2)
    assert list(served["id"]) == list(authored["id"])


def test_gdal_bbox_is_sent_to_the_server(live_server):
    authored = geopandas.read_file(Path(DEFAULTS["DATA_DIR"]) / "ports.geojson")
    minx, miny, maxx, maxy = authored.iloc[[0]].total_bounds
    box = (minx - 0.01, miny - 0.01, maxx + 0.01, maxy + 0.01)
    served = geopandas.read_file(f"OAPIF:{live_server}/ogc", layer="ports", bbox=box)
    expected = authored[authored.intersects(authored.iloc[0].geometry.buffer(0.01))]
    assert authored.iloc[0]["id"] in list(served["id"])
    assert sorted(served["id"]) == sorted(expected["id"])


@pytest.mark.parametrize("layer_id", ["ports", "borders"])
def test_gdal_sector_filter_is_sent_to_the_server_and_keeps_every_energy_feature(
    live_server, catalog, layer_id
):
    """GDAL forwards ``sector = 'energy'`` as ``sector=energy``: any of the sectors, as on the map.

    An ``IN`` list is not forwarded, so GDAL evaluates it itself, on the primary sector.
    """
    features = [f["properties"] for f in stored(catalog, layer_id)]
    anywhere = [p["id"] for p in features if "energy" in p["sectors"]]
    primary = [p["id"] for p in features if p["sector"] == "energy"]
    assert set(anywhere) - set(primary), f"no {layer_id} feature with energy as a second sector"
    url = f"OAPIF:{live_server}/ogc"
    served = geopandas.read_file(url, layer=layer_id, where="sector = 'energy'")
    assert list(served["id"]) == anywhere
    local = geopandas.read_file(url, layer=layer_id, where="sector IN ('energy')")
    assert list(local["id"]) == primary
