"""A small PDC REST client (``/rest_api/v1/``): token auth, timeouts, pagination, errors.

Failures are classified once, here: ``PdcUnavailable`` (connection errors,
timeouts, 5xx, 429) is worth retrying later; ``PdcRejected`` (any other 4xx,
a body that is not JSON) will fail again the same way and goes to the dead
letters after one attempt's worth of evidence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests

from conveyor.errors import ConveyorError, Retryable
from conveyor.settings_pdc import PdcSettings

PAGE_SIZE = 100
_EXCERPT = 300  # characters of an error body kept for the log and last_error
# PDC's answer when a relationship already exists (the fields must make a unique set).
_UNIQUE_SET = "must make a unique set"


class PdcError(ConveyorError):
    """PDC did not do what was asked."""


class PdcUnavailable(PdcError, Retryable):
    """PDC is down, overloaded or unreachable: try again later."""


class PdcRejected(PdcError):
    """PDC refused the request (4xx) or answered nonsense: retrying will not help."""

    def __init__(self, message: str, status: int | None = None, body: Any = None):
        super().__init__(message)
        self.status, self.body = status, body


class PdcClient:
    def __init__(
        self,
        settings: PdcSettings,
        http: requests.Session | None = None,
        page_size: int = PAGE_SIZE,
    ):
        self.base = settings.url.rstrip("/") + "/"
        self.page_size = page_size
        # (release, name, type) -> id: PDC never renumbers a component, so one lookup each
        self._component_ids: dict[tuple[str, str, str], int] = {}
        self.timeout = settings.timeout
        self.http = http or requests.Session()
        self.http.headers["Accept"] = "application/json"
        if settings.token:
            self.http.headers["Authorization"] = f"Token {settings.token}"

    # -- HTTP ---------------------------------------------------------------

    def url(self, *parts: str | int) -> str:
        """``base/part/part/``; each part is quoted so a name never changes the path."""
        return self.base + "".join(quote(str(p), safe="") + "/" for p in parts)

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        if not url.startswith(self.base):
            raise PdcRejected(f"refusing to follow {url!r} outside {self.base!r}")
        try:
            response = self.http.request(method, url, timeout=self.timeout, **kwargs)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            raise PdcUnavailable(f"{method} {url}: {exc}") from exc
        except requests.RequestException as exc:  # a bad URL, too many redirects: ours to fix
            raise PdcRejected(f"{method} {url}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise PdcUnavailable(f"{method} {url}: HTTP {response.status_code}")
        return response

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.request(method, url, **kwargs)
        if response.status_code >= 400:
            raise PdcRejected(
                f"{method} {url}: HTTP {response.status_code}: {response.text[:_EXCERPT]}",
                response.status_code,
                _body(response),
            )
        if response.status_code == 204 or not response.content:
            return None
        body = _body(response)
        if body is None:
            raise PdcRejected(f"{method} {url}: the answer is not JSON")
        return body

    def get_paged(self, endpoint: str, **filters: Any) -> Iterator[dict]:
        """Every result of a list endpoint, page after page (``count/next/results``)."""
        url: str | None = self.url(endpoint)
        params: dict[str, Any] | None = {**filters, "page_size": self.page_size}
        while url:
            page = self.json("GET", url, params=params)
            if not isinstance(page, Mapping) or not isinstance(page.get("results"), list):
                raise PdcRejected(f"GET {url}: not a paginated list")
            yield from page["results"]
            url, params = self._next(page.get("next")), None  # ``next`` carries the filters

    def _next(self, link: Any) -> str | None:
        """The ``next`` link's path and query, always on our own PDC.

        Behind a TLS proxy PDC may write ``http://`` links; only the path is
        taken, and it must stay under the API root, so a link never sends the
        token elsewhere.
        """
        if not link:
            return None
        parts = urlsplit(urljoin(self.base, str(link)))
        base = urlsplit(self.base)
        if not parts.path.startswith(base.path):
            raise PdcRejected(f"pagination leads outside the API: {link!r}")
        query = f"?{parts.query}" if parts.query else ""
        return f"{base.scheme}://{base.netloc}{parts.path}{query}"

    def get_one(self, *parts: str | int) -> dict | None:
        """A detail resource, or None when PDC has no such thing (404)."""
        url = self.url(*parts)
        response = self.request("GET", url)
        if response.status_code == 404:
            return None
        if response.status_code >= 400 or _body(response) is None:
            raise PdcRejected(f"GET {url}: HTTP {response.status_code}", response.status_code)
        return _body(response)

    # -- components and relationships ----------------------------------------

    def forget_components(self) -> None:
        """Drop the component id cache (a long-lived client calls this once per run)."""
        self._component_ids.clear()

    def ensure_component(self, release: str, name: str, type_: str) -> int:
        """The id of release component ``name`` (creating it and its global component)."""
        cached = self._component_ids.get((release, name, type_))
        if cached is not None:
            return cached
        found = self._component_id(release, name, type_)
        if found is None:
            found = self._create_component(release, name, type_)
        self._component_ids[(release, name, type_)] = found
        return found

    def _create_component(self, release: str, name: str, type_: str) -> int:
        globals_ = self.get_paged("global-components", name=name)
        if not any(g.get("name") == name for g in globals_):
            self._create_once("global-components", {"name": name})
        body = {"release": release, "global_component": name, "name": name, "type": type_}
        created = self._create_once("release-components", body)
        found = created["id"] if created else self._component_id(release, name, type_)
        if found is None:
            raise PdcRejected(f"release component {release}/{name} neither created nor found")
        return int(found)

    def _component_id(self, release: str, name: str, type_: str) -> int | None:
        found = self.get_paged("release-components", release=release, name=name, type=type_)
        for component in found:
            if component.get("name") == name:  # PDC's name filters may match loosely
                return int(component["id"])
        return None

    def _create_once(self, endpoint: str, body: dict) -> dict | None:
        """POST; None when it already exists (another sender won the race: 400 unique)."""
        try:
            return self.json("POST", self.url(endpoint), json=body)
        except PdcRejected as exc:
            if exc.status == 400 and _UNIQUE_SET in str(exc.body):
                return None
            raise

    def relationships(self, release: str, types: tuple[str, ...]) -> Iterator[dict]:
        for type_ in types:
            yield from self.get_paged(
                "release-component-relationships", from_component_release=release, type=type_
            )

    def create_relationship(self, type_: str, from_id: int, to_id: int) -> None:
        body = {"type": type_, "from_component": {"id": from_id}, "to_component": {"id": to_id}}
        # already there is success: a replayed add changes nothing
        self._create_once("release-component-relationships", body)

    def find_relationships(
        self, release: str, type_: str, from_name: str, to_name: str
    ) -> list[dict]:
        found = self.get_paged(
            "release-component-relationships",
            from_component_release=release,
            from_component_name=from_name,
            to_component_name=to_name,
            type=type_,
        )
        return [
            r
            for r in found
            if r["from_component"]["name"] == from_name and r["to_component"]["name"] == to_name
        ]

    def delete(self, *parts: str | int) -> None:
        """DELETE a detail resource; one that is already gone counts as deleted."""
        url = self.url(*parts)
        response = self.request("DELETE", url)
        if response.status_code >= 400 and response.status_code != 404:
            raise PdcRejected(
                f"DELETE {url}: HTTP {response.status_code}: {response.text[:_EXCERPT]}",
                response.status_code,
            )


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
