"""``/?feature=<id>``, a link to one feature, through Flask's test client on each provider."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.test_map import parse, settings_of


class Forms(HTMLParser):
    """The page's forms: (method, action, names of their inputs)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("method", "get").lower(), a.get("action", ""), []))
        elif tag == "input" and self.forms:
            self.forms[-1][2].append(a.get("name", ""))


def test_a_link_to_a_feature_opens_on_it_with_its_layer_and_sector_on(client, catalog):
    tapi = catalog.get("pipeline-tapi")["properties"]
    # The link says ports and trade only, and a status TAPI does not have.
    assert "trade" not in tapi["sectors"] and tapi["status"] != "operating"
    answer = client.get("/?feature=pipeline-tapi&layers=ports&sectors=trade&status=operating")
    assert answer.status_code == 200
    settings = settings_of(answer.text)
    assert settings["feature"] == "pipeline-tapi"
    assert settings["featureUrl"] == "/?feature="
    assert "pipelines" in settings["drawn"]
    boxes = parse(answer.text).boxes
    assert boxes[("layer", "pipelines")] and boxes[("layer", "ports")]
    assert boxes[("sector", tapi["sector"])] and boxes[("sector", "trade")]
    assert "status=" not in settings["filters"]  # the filter that hid it is dropped
    # Fitted to the feature, not to the Caspian region.
    assert '"maxZoom": 8' in answer.text


def test_an_unknown_feature_is_a_404_page_that_offers_a_search(client):
    answer = client.get("/?feature=no-such-thing")
    assert answer.status_code == 404
    assert "no-such-thing" in answer.text and "no feature" in answer.text
    assert ("get", "/", ["q"]) in [(m, a, names) for m, a, names in _forms(answer.text)]
    hostile = client.get("/?feature=%3Cscript%3Ealert(1)%3C/script%3E")
    assert hostile.status_code == 404
    assert "<script>alert" not in hostile.text and "&lt;script&gt;alert(1)" in hostile.text


def test_the_view_answer_gives_each_dated_feature_the_date_it_is_listed_with(client, catalog):
    features = client.get("/api/view").get_json()["features"]
    drill = catalog.get("event-2012-turkmen-naval-drill")["properties"]
    assert features[drill["id"]]["when"]["text"] == drill["date"]
    upgrade = catalog.get("pipeline-turkmengas-upgrade")["properties"]
    assert features[upgrade["id"]]["when"] == {
        "text": f"due {upgrade['expected_completion']}",
        "sort": upgrade["completion_date"],
    }
    tapi = catalog.get("pipeline-tapi")["properties"]  # begun, no due date given
    assert features["pipeline-tapi"]["when"]["text"] == f"since {tapi['year_started']}"
    assert "when" not in features["port-aktau"]  # no date at all


def _forms(html: str):
    p = Forms()
    p.feed(html)
    return p.forms
