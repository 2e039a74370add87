"""``/api/search``: the features a text names, best first, as a function with no Flask in it."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from geoapp.data.catalog import Catalog
from geoapp.data.query import check_parameters, is_tracking
from geoapp.data.search import MAX_LIMIT, MAX_QUERY, PLACES_LIMIT, search_catalog, search_places
from geoapp.errors import ProviderError, QueryError

log = logging.getLogger(__name__)

PARAMETERS = ("q", "limit")
_WHOLE = re.compile(r"[0-9]{1,4}")
Q_HINT = f"search text of 1 to {MAX_QUERY} characters"
LIMIT_HINT = f"a whole number from 1 to {MAX_LIMIT}"


def search_answer(catalog: Catalog, args: Mapping[str, str], *, places: bool = False) -> list[dict]:
    """``[{kind, id, name, layer, field, match, ...}]`` for ``q``, at most ``limit`` of them.

    Features first (``kind: "feature"``, with ``snippet`` when the match is not the
    name), then, when ``places``, at most ten GeoNames places (``kind: "place"``, ``id: "place-<geonameid>"``,
    with ``lon``, ``lat``, ``country``, ``population``), so that a reader can fly to a
    town no layer holds. Without a places store the features are still answered.
    ``/api/search`` lists places; the page's own list (``/?q=``) does not until it
    draws them (``places`` off by default keeps its callers' answers as they were).

    A blank or overlong ``q`` and a ``limit`` out of its bounds are a QueryError
    (400) that says the rule; a text that matches nothing is an empty list.
    """
    args = {name: raw for name, raw in args.items() if not is_tracking(name)}
    check_parameters(args, PARAMETERS)
    raw = args.get("q", "")
    text = raw.strip()
    if not text or len(text) > MAX_QUERY or "\x00" in text:
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        raise QueryError("q", shown.replace("\x00", "\\0"), Q_HINT)
    limit = args.get("limit")
    if limit is None:
        count = MAX_LIMIT
    elif _WHOLE.fullmatch(limit) and 1 <= int(limit) <= MAX_LIMIT:
        count = int(limit)
    else:
        raise QueryError("limit", limit, LIMIT_HINT)
    found = [m.to_json() for m in search_catalog(catalog, text)[:count]]
    room = min(PLACES_LIMIT, count - len(found)) if places else 0
    if room > 0:
        try:
            found += [p.to_json() for p in search_places(catalog, text, room)]
        except ProviderError as exc:  # places not built or loaded: features still answer
            log.warning("search without places: %s", exc)
    return found
