"""The articles inside the map, in real Chromium against gunicorn: both ways between a
passage and its places.

The two source articles (from ``../shared/articles/``, never the repository) and our
own ``caspian-notes.md`` are ingested once into an instance folder of this module's
own; a gunicorn serves it. Which passages mention which feature is the gold set's
(``tests/data/articles_gold.json``, written by reading the articles): passage *i* of
an article is the *i*-th passage the reader shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from geoapp.data.articles.store import GAZETTEER_FILE
from tests.articles import GOLD, OWN, SHARED, gazetteer_db, need_shared  # noqa: F401 - fixture
from tests.browser.test_access import serious
from tests.browser.test_map_page import READY, open_map
from tests.servers import gunicorn

HOSTILE = """<html><body><h1>Notes &lt;b&gt;</h1>
<p>Ships leave Aktau <img src=x onerror="window.__pwned=1"> daily.</p>
<p><script>window.__pwned = 2</script>The port of Kuryk {{ 7*7 }} ${7*7}.</p>
</body></html>"""


@pytest.fixture(scope="module")
def reader_url(tmp_path_factory, gazetteer_db):  # noqa: F811 - the imported fixture
    """gunicorn over an instance folder with the three articles (and a hostile one)."""
    need_shared()
    folder = tmp_path_factory.mktemp("reader-instance")
    (folder / GAZETTEER_FILE).symlink_to(gazetteer_db)
    hostile = folder.parent / "hostile.html"
    hostile.write_text(HOSTILE, encoding="utf-8")
    env = {**os.environ, "GEOAPP_INSTANCE": str(folder)}
    files = [*sorted(SHARED.glob("*.txt")), OWN, hostile]
    done = subprocess.run(
        [str(Path(sys.executable).with_name("geoapp")), "ingest", *map(str, files)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with gunicorn("--workers", "1", "--threads", "4", env={"GEOAPP_INSTANCE": str(folder)}) as url:
        yield url


def gold_passages(article: str, feature: str) -> list[int]:
    links = GOLD["articles"][article]["links"]
    return sorted(int(i) for i, ids in links.items() if feature in ids)


def passage_ids(page) -> list[str]:
    return page.eval_on_selector_all("#reader .passage", "els => els.map(e => e.id)")


def read(page, url: str):
    open_map(page, url)
    page.wait_for_selector("#reader .passage")
    return page


def test_the_articles_page_lists_what_was_ingested(watched_page, reader_url):
    page, _ = watched_page
    page.goto(reader_url + "/articles")
    ids = page.eval_on_selector_all(
        "tr[data-article-id]", "els => els.map(e => e.dataset.articleId)"
    )
    assert {"rt-2025", "diplomat-2017"} <= set(ids)
    page.click('tr[data-article-id="diplomat-2017"] a')
    page.wait_for_selector(READY)
    assert (
        page.locator("#reader-title").inner_text() == "Russia's Security Inroads With Turkmenistan"
    )


def test_without_articles_the_page_says_how_to_add_one_and_the_map_is_as_before(
    watched_page, live_server
):
    page, _ = watched_page
    page.goto(live_server + "/articles")
    assert "geoapp ingest" in page.locator(".empty").inner_text()
    open_map(page, live_server + "/?feature=pipeline-tapi")
    page.wait_for_selector(".leaflet-popup-content .popup")
    assert page.locator(".popup .mentions").count() == 0


def test_a_popup_lists_the_passages_that_mention_it_and_each_opens_the_reader_on_it(
    watched_page, reader_url
):
    page, _ = watched_page
    expected = gold_passages("diplomat-2017", "pipeline-tapi")
    assert expected, "the gold set has passages about TAPI"
    order = passage_ids(read(page, reader_url + "/articles/diplomat-2017"))
    want = [f"/articles/diplomat-2017#{order[i]}" for i in expected]
    open_map(page, reader_url + "/?feature=pipeline-tapi")
    links = page.locator(".leaflet-popup-content .popup .mentions a")
    links.first.wait_for(timeout=10_000)
    hrefs = links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert [h for h in hrefs if h.startswith("/articles/diplomat-2017#")] == want
    first = links.filter(has_text="Russia's Security Inroads With Turkmenistan").first
    assert first.get_attribute("href") == want[0]
    first.click()
    page.wait_for_selector(READY)
    page.wait_for_selector("#reader .passage.current")
    current = page.locator("#reader .passage.current")
    assert current.get_attribute("id") == order[expected[0]]
    box = current.bounding_box()
    assert 0 <= box["y"] < page.viewport_size["height"], "the passage is scrolled into view"
    # The map flew to TAPI and lit it.
    page.wait_for_function("document.querySelectorAll('.leaflet-container .lit').length > 0")
    lit = page.evaluate(
        "Array.from(geoapp.byId.get('pipeline-tapi').leaflet.getLayers()[0].getElement()"
        ".classList).includes('lit')"
    )
    assert lit


def test_hovering_a_mention_lights_its_feature_and_a_click_opens_it(watched_page, reader_url):
    page, _ = watched_page
    read(page, reader_url + "/articles/diplomat-2017")
    mention = page.locator('#reader a.mention[data-feature-id="naval-turkmenbashi"]').first
    mention.scroll_into_view_if_needed()
    mention.hover()
    page.wait_for_selector(".leaflet-marker-icon.id-naval-turkmenbashi.lit")
    mention.click()
    name = page.locator(".leaflet-popup-content .popup-name")
    name.wait_for(timeout=10_000)
    assert name.inner_text() == "Turkmen Navy base, Turkmenbashi"


def test_story_steps_through_the_passages_with_places_by_button_and_arrow_key(
    watched_page, reader_url
):
    page, _ = watched_page
    read(page, reader_url + "/articles/rt-2025")
    order = passage_ids(page)
    with_places = page.eval_on_selector_all(
        "#reader .passage.has-places", "els => els.map(e => e.id)"
    )
    gold = sorted(int(i) for i in GOLD["articles"]["rt-2025"]["links"])
    # Every passage the gold set links is a step (places not mapped may add more).
    assert {order[i] for i in gold} <= set(with_places)
    page.click("#story-next")
    page.wait_for_selector("#reader .passage.current")
    assert page.locator("#reader .passage.current").get_attribute("id") == with_places[0]
    page.locator("#reader-title").click()  # focus outside the map and the fields
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        f"document.querySelector('#reader .passage.current').id === {with_places[1]!r}"
    )
    assert page.url.endswith("#" + with_places[1])
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        f"document.querySelector('#reader .passage.current').id === {with_places[0]!r}"
    )
    assert page.locator("#story-prev").is_disabled()


def test_places_mentioned_but_not_mapped_are_listed_and_drawn_as_suggestions(
    watched_page, reader_url
):
    page, _ = watched_page
    read(page, reader_url + "/articles/caspian-notes")
    listed = page.locator("#reader .unmapped li").all_inner_texts()
    # Our own article names these towns, none of which is a feature of the map.
    for town in ("Balkanabat", "Rasht", "Derbent"):
        assert any(t.startswith(town) for t in listed), listed
    assert page.locator("path.suggestion").count() == page.locator("#reader .unmapped li").count()
    page.locator("#reader .unmapped .place-link", has_text="Rasht").click()
    popup = page.locator(".suggestion-popup h3")
    popup.wait_for(timeout=10_000)
    assert popup.inner_text() == "Rasht"


def test_an_article_is_text_never_markup_and_its_reader_passes_axe(watched_page, reader_url):
    page, _ = watched_page
    page.goto(reader_url + "/articles")
    # Its title is text too: "Notes <b>", not "Notes" in bold.
    row = page.locator("tr[data-article-id]", has_text="Notes <b>")
    hostile = row.get_attribute("data-article-id")
    read(page, f"{reader_url}/articles/{hostile}")
    text = page.locator("#reader .reader-text").inner_text()
    assert "{{ 7*7 }}" in text and "${7*7}" in text and "49" not in text
    assert page.locator("#reader img, #reader script").count() == 0
    assert page.evaluate("window.__pwned === undefined")
    read(page, reader_url + "/articles/diplomat-2017")
    serious(page, "the reader")


def test_the_search_box_finds_words_in_the_articles_and_opens_the_passage(watched_page, reader_url):
    page, _ = watched_page
    open_map(page, reader_url + "/")
    page.fill("#search-input", "Taliban")
    link = page.locator("#search-results a.search-passage").first
    link.wait_for(timeout=10_000)
    assert link.locator("mark").first.inner_text().lower() == "taliban"
    href = link.get_attribute("href")
    link.click()
    page.wait_for_selector("#reader .passage.current")
    assert "taliban" in page.locator("#reader .passage.current").inner_text().lower()
    assert href.split("#")[1] == page.locator("#reader .passage.current").get_attribute("id")
