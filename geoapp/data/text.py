"""Folding text for comparison: the one rule search and places share (no imports of geoapp).

Kept apart from :mod:`geoapp.data.search` so that the places store, which the
providers read, can fold names without importing the catalog.
"""

from __future__ import annotations

import re
import unicodedata

#: Letters that NFKD does not take apart: the Turkish dotless i, and a few others.
_LETTERS = str.maketrans({"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ə": "e", "æ": "ae", "œ": "oe"})
_APOSTROPHES = re.compile(r"['’ʼ`]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Fold ``text`` for comparison: no accents, no case, words separated by one space.

    Examples
    --------
    >>> normalise("Türkmenbaşy")
    'turkmenbasy'
    >>> normalise("Bandar-e Anzali")
    'bandar e anzali'
    """
    if text.isascii():  # the common case, and the same result without NFKD
        return " ".join(_NOT_WORD.split(_APOSTROPHES.sub("", text.lower()))).strip()
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.split(_APOSTROPHES.sub("", bare))).strip()
