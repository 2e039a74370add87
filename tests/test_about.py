"""The page's About box and credits: sources from the catalog, the data's date, no zoom lock."""

from __future__ import annotations

import html as markup
import re

from geoapp.data.catalog import Catalog
from geoapp.data.providers.files import FilesProvider
from geoapp.data.query import Query
from geoapp.data.schema import is_web_url
from geoapp.maps import leaflet
from geoapp.maps.printed.attribution import data_date
from tests.factories import SOURCES, write_data_dir

ABOUT = re.compile(r'<details id="about">.*?</details>\s*</div>\s*</details>', re.S)


def about_box(html: str) -> str:
    return ABOUT.search(html).group(0)


def test_the_page_says_what_it_shows_its_sources_and_the_data_date(client, catalog):
    html = client.get("/").get_data(as_text=True)
    box = about_box(html)
    assert "<summary>About this map</summary>" in box
    assert f'Data as of <time datetime="{data_date(catalog).isoformat()}">' in box
    assert 'href="https://www.naturalearthdata.com/">Natural Earth (public domain)</a>' in box
    links = {
        (key, markup.unescape(href))
        for key, href in re.findall(r'<li data-source="([^"]+)"><a href="([^"]+)"', box)
    }
    web = {(k, s["url"]) for k, s in catalog.sources.items() if is_web_url(s.get("url"))}
    assert links == web
    assert set(re.findall(r'data-source="([^"]+)"', box)) == set(catalog.sources)
    # The attribution line names the basemap; page zoom is not locked.
    assert (
        "Natural Earth"
        in leaflet.page_settings(catalog, standalone=False, layers=[])["attribution"]
    )
    viewports = re.findall(r'<meta name="viewport"[^>]*>', html)
    assert viewports == ['<meta name="viewport" content="width=device-width, initial-scale=1">']


def test_a_source_without_a_url_is_named_not_linked_and_its_text_stays_text(tmp_path):
    sources = {**SOURCES, "odd": {"kind": "reference", "title": "<b>Odd</b> & co"}}
    catalog = Catalog(FilesProvider(write_data_dir(tmp_path / "data", sources=sources)))
    box = about_box(leaflet.standalone_html(catalog, Query()))
    assert '<li data-source="odd">&lt;b&gt;Odd&lt;/b&gt; &amp; co</li>' in box
    assert '<a href="https://example.org/" rel="noopener noreferrer">Test reference</a>' in box
