"""The typed errors of geoapp, in one module with no web in it.

Each face maps them once: the web to HTTP statuses (:mod:`geoapp.web.errors`),
the command line to exit statuses (:mod:`geoapp.cli`), the app factory to a
refusal to start. An error about a value says what would have been valid: a
vocabulary as a list (``valid``) or a form as a sentence (``hint``).
"""

from __future__ import annotations

from collections.abc import Iterable


class _ValuesError(Exception):
    """An error about one value that says what would have been valid.

    ``valid`` is a vocabulary (the values themselves, as a list a client can
    use) and ``hint`` a sentence describing a form ("a whole number from 1 to
    1000"); exactly one is set. Error pages show a hint as prose and a
    vocabulary as a list, so a hint is never split into fragments.
    """

    template = "{what} {value!r}"

    def __init__(self, what: str, value: object, valid: Iterable[str] | str):
        self.what = what
        self.value = value
        self.hint: str | None = valid if isinstance(valid, str) else None
        self.valid: list[str] | None = None if isinstance(valid, str) else [str(v) for v in valid]
        expected = self.hint if self.valid is None else ", ".join(self.valid)
        super().__init__(self.template.format(what=what, value=value) + f"; valid: {expected}")


class QueryError(_ValuesError, ValueError):
    """A query names an unknown layer, sector or status, or a malformed value (400, exit 2)."""

    template = "invalid {what} {value!r}"

    @property
    def parameter(self) -> str:
        return self.what


class NotFoundError(_ValuesError, LookupError):
    """A path names a layer or feature that does not exist (404), with the valid ids."""

    template = "no {what} {value!r}"


class DataError(Exception):
    """The data fails validation; ``str()`` is the list of problems, one per line."""

    def __init__(self, problems: Iterable[object]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ProviderError(Exception):
    """The backend cannot answer now (database away): a 503, the app keeps running."""


class BackendError(Exception):
    """The backend cannot be used at all: unreachable at start-up, not loaded, not PostGIS.

    ``str()`` is one line that names the database without its password. The app
    refuses to start with it (exit 3), as it does with data that does not validate.
    """


class BusyError(Exception):
    """Every export slot is taken and the queue is full (or the wait ran out): a 503."""

    def __init__(self, retry_after: int, concurrency: int):
        self.retry_after = retry_after
        super().__init__(
            f"the server is drawing {concurrency} image export"
            f"{'s' if concurrency != 1 else ''} at once, its limit; "
            f"try again in {retry_after} s"
        )
