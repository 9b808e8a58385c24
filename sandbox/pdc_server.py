"""A small PDC for tests and the demo: the REST endpoints Conveyor's sink uses, in memory.

Speaks ``/rest_api/v1/`` on loopback with PDC's shapes (``count/next/previous/
results`` pagination, ``Authorization: Token`` on writes, 400 for a duplicate
relationship), records every request, and can answer the next N requests with
an error (``fail_next``) to exercise retries.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from sandbox.ports import LOOPBACK, free_port

PREFIX = "/rest_api/v1/"
UNIQUE = "The fields relation_type, from_component, to_component must make a unique set."
UNIQUE_COMPONENT = "The fields release, name, type must make a unique set."
UNIQUE_GLOBAL = "The fields name must make a unique set."


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None


class HttpError(Exception):
    def __init__(self, status: int, body: Any):
        super().__init__(status)
        self.status, self.body = status, body


@dataclass
class PdcStore:
    """PDC's tables, keyed by id (uid for modules, compose id for composes)."""

    global_components: dict[int, dict] = field(default_factory=dict)
    components: dict[int, dict] = field(default_factory=dict)
    relationships: dict[int, dict] = field(default_factory=dict)
    modules: dict[str, dict] = field(default_factory=dict)
    composes: dict[str, dict] = field(default_factory=dict)
    rpms: list[dict] = field(default_factory=list)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def relationship_view(self, rel: dict) -> dict:
        def side(cid: int) -> dict:
            c = self.components[cid]
            return {"id": cid, "name": c["name"], "release": c["release"], "type": c["type"]}

        return {
            "id": rel["id"],
            "type": rel["type"],
            "from_component": side(rel["from"]),
            "to_component": side(rel["to"]),
        }

    def add_relationship(self, type_: str, from_id: int, to_id: int) -> dict:
        if from_id not in self.components or to_id not in self.components:
            raise HttpError(400, {"detail": "no such release component"})
        if any((r["type"], r["from"], r["to"]) == (type_, from_id, to_id)
               for r in self.relationships.values()):  # fmt: skip
            raise HttpError(400, {"non_field_errors": [UNIQUE]})
        rel = {"id": self.new_id(), "type": type_, "from": from_id, "to": to_id}
        self.relationships[rel["id"]] = rel
        return self.relationship_view(rel)

    def add_component(self, release: str, name: str, type_: str) -> dict:
        if any((c["release"], c["name"], c["type"]) == (release, name, type_)
               for c in self.components.values()):  # fmt: skip
            raise HttpError(400, {"non_field_errors": [UNIQUE_COMPONENT]})
        comp = {"id": self.new_id(), "release": release, "name": name, "type": type_,
                "global_component": name}  # fmt: skip
        self.components[comp["id"]] = comp
        return comp

    def import_compose(self, body: dict) -> dict:
        compose = body["composeinfo"]["payload"]["compose"]
        cid = compose["id"]
        self.composes[cid] = {"compose_id": cid, "release": body["release_id"], **compose}
        self.rpms = [r for r in self.rpms if r["compose"] != cid]
        for arches in body["rpm_manifest"]["payload"]["rpms"].values():
            for srpms in arches.values():
                for rpms in srpms.values():
                    for nevra, info in rpms.items():
                        self.rpms.append({**_split_nevra(nevra), "compose": cid, **info})
        return self.composes[cid]


def _split_nevra(nevra: str) -> dict:
    rest, arch = nevra.rsplit(".", 1)
    name, evr = rest.rsplit("-", 2)[0], rest.rsplit("-", 2)[1:]
    epoch, _, version = evr[0].rpartition(":")
    return {"name": name, "epoch": int(epoch or 0), "version": version, "release": evr[1],
            "arch": arch}  # fmt: skip


def _matches(item: dict, filters: dict[str, str]) -> bool:
    return all(str(item.get(key)) == value for key, value in filters.items())


class PdcServer:
    """Start with ``start()``; ``url`` is the API root to put in ``pdc.url``."""

    def __init__(self, token: str = "", page_size: int = 2, link_base: str = ""):
        self.token, self.default_page_size = token, page_size
        self.link_base = (
            link_base  # e.g. "http://elsewhere": pagination links a client must distrust
        )
        self.store = PdcStore()
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self._failures: list[int] = []
        self._path = PREFIX
        self.port = free_port()
        self.httpd = ThreadingHTTPServer((LOOPBACK, self.port), _handler_for(self))
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )  # a short poll: stop() returns at once

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}{PREFIX.rstrip('/')}"

    def start(self) -> PdcServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail_next(self, count: int, status: int = 503) -> None:
        with self.lock:
            self._failures.extend([status] * count)

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def relationship_rows(self) -> list[tuple[str, str, str]]:
        """(type, from name, to name) of every relationship, duplicates kept."""
        views = [self.store.relationship_view(r) for r in self.store.relationships.values()]
        return sorted(
            (v["type"], v["from_component"]["name"], v["to_component"]["name"]) for v in views
        )

    # -- request handling (called by the handler thread, under the lock) ----

    def handle(self, method: str, path: str, query: dict[str, str], body: Any, auth: str | None):
        self.requests.append(Recorded(method, path, dict(query), body, auth))
        self._path = path  # pagination links point back here
        if self._failures:
            status = self._failures.pop(0)
            raise HttpError(status, {"detail": "injected failure"})
        if method != "GET" and self.token and auth != f"Token {self.token}":
            raise HttpError(401, {"detail": "Authentication credentials were not provided."})
        parts = [unquote(p) for p in path.removeprefix(PREFIX).split("/") if p]
        if not parts:
            raise HttpError(404, {"detail": "Not found."})
        route = getattr(self, f"_{method.lower()}_{parts[0].replace('-', '_')}", None)
        if route is None:
            raise HttpError(405 if len(parts) else 404, {"detail": "Method not allowed."})
        return route(parts[1:], query, body)

    def _page(self, items: list[dict], query: dict[str, str], path: str) -> dict:
        size = int(query.pop("page_size", self.default_page_size))
        page = int(query.pop("page", 1))
        filtered = [i for i in items if _matches(i, query)]
        chunk = filtered[(page - 1) * size : page * size]
        more = page * size < len(filtered)
        link = f"{self.link_base or f'http://{LOOPBACK}:{self.port}'}{path}?"
        return {
            "count": len(filtered),
            "next": link + urlencode({**query, "page": page + 1, "page_size": size}) if more
            else None,
            "previous": link + urlencode({**query, "page": page - 1, "page_size": size})
            if page > 1 else None,
            "results": chunk,
        }  # fmt: skip

    def _get_global_components(self, rest, query, _body):
        return self._page(list(self.store.global_components.values()), query, self._path)

    def _post_global_components(self, rest, query, body):
        if any(g["name"] == body["name"] for g in self.store.global_components.values()):
            raise HttpError(400, {"non_field_errors": [UNIQUE_GLOBAL]})
        item = {"id": self.store.new_id(), "name": body["name"]}
        self.store.global_components[item["id"]] = item
        return 201, item

    def _get_release_components(self, rest, query, _body):
        return self._page(list(self.store.components.values()), query, self._path)

    def _post_release_components(self, rest, query, body):
        if not any(g["name"] == body["global_component"]
                   for g in self.store.global_components.values()):  # fmt: skip
            raise HttpError(400, {"global_component": ["Object does not exist."]})
        return 201, self.store.add_component(body["release"], body["name"], body["type"])

    def _get_release_component_relationships(self, rest, query, _body):
        flat = []
        for rel in self.store.relationships.values():
            view = self.store.relationship_view(rel)
            flat.append({**view, "from_component_release": view["from_component"]["release"],
                         "from_component_name": view["from_component"]["name"],
                         "to_component_name": view["to_component"]["name"]})  # fmt: skip
        page = self._page(flat, query, self._path)
        page["results"] = [self.store.relationship_view(self.store.relationships[r["id"]])
                           for r in page["results"]]  # fmt: skip
        return page

    def _post_release_component_relationships(self, rest, query, body):
        return 201, self.store.add_relationship(
            body["type"], body["from_component"]["id"], body["to_component"]["id"]
        )

    def _delete_release_component_relationships(self, rest, query, _body):
        if not rest or self.store.relationships.pop(int(rest[0]), None) is None:
            raise HttpError(404, {"detail": "Not found."})
        return 204, None

    def _get_modules(self, rest, query, _body):
        if rest:
            return self._one(self.store.modules.get(rest[0]))
        return self._page(list(self.store.modules.values()), query, self._path)

    def _post_modules(self, rest, query, body):
        if body["uid"] in self.store.modules:
            raise HttpError(400, {"uid": ["module with this uid already exists."]})
        self.store.modules[body["uid"]] = dict(body)
        return 201, body

    def _patch_modules(self, rest, query, body):
        module = self._one(self.store.modules.get(rest[0] if rest else ""))
        module.update(body)
        return module

    def _get_composes(self, rest, query, _body):
        if rest:
            return self._one(self.store.composes.get(rest[0]))
        return self._page(list(self.store.composes.values()), query, self._path)

    def _post_compose_rpms(self, rest, query, body):
        return 201, self.store.import_compose(body)

    def _get_rpms(self, rest, query, _body):
        return self._page(self.store.rpms, query, self._path)

    @staticmethod
    def _one(item: dict | None) -> dict:
        if item is None:
            raise HttpError(404, {"detail": "Not found."})
        return item


def _handler_for(server: PdcServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # the recorded requests are the log
            pass

        def _serve(self) -> None:
            split = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(split.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
                with server.lock:
                    answer = server.handle(self.command, split.path, query, body,
                                           self.headers.get("Authorization"))  # fmt: skip
                status, payload = answer if isinstance(answer, tuple) else (200, answer)
            except HttpError as exc:
                status, payload = exc.status, exc.body
            except (KeyError, TypeError, ValueError) as exc:
                status, payload = 400, {"detail": f"bad request: {exc!r}"}
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

    return Handler
