"""XML-RPC over HTTP the way koji's hub speaks it, on a threading HTTP server.

- POST ``/kojihub`` with an XML-RPC call; ``nil`` and ``i8`` are accepted and sent.
- Keyword arguments arrive as a trailing ``{'__starstar': True, ...}`` struct.
- ``multiCall(calls)`` answers each call with ``[result]`` or a fault struct.
- Errors become faults whose codes koji's client maps back to its exceptions;
  a bad argument list is a ``ParameterError``, an unknown method a ``GenericError``.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import socket
import threading
import traceback
import xmlrpc.client
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.parsers.expat import ExpatError

from .errors import GenericError, ParameterError

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 32 * 1024 * 1024


class _Marshaller(xmlrpc.client.Marshaller):
    """The stdlib marshaller, plus koji's ``i8`` for integers beyond 32 bits."""

    dispatch = dict(xmlrpc.client.Marshaller.dispatch)

    def _dump_int(self, value: int, write: Callable[[str], Any]) -> None:
        tag = "int" if xmlrpc.client.MININT <= value <= xmlrpc.client.MAXINT else "i8"
        write(f"<value><{tag}>{int(value)}</{tag}></value>\n")

    dispatch[int] = _dump_int


def dump_response(value: Any) -> bytes:
    """A methodResponse with ``value``, or a fault if ``value`` is an xmlrpc Fault."""
    payload = value if isinstance(value, xmlrpc.client.Fault) else (value,)
    body = _Marshaller("utf-8", allow_none=True).dumps(payload)
    return f"<?xml version='1.0'?>\n<methodResponse>\n{body}</methodResponse>\n".encode()


def fault_of(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, GenericError):
        return exc.fault_code, str(exc)
    return 1, f"{type(exc)}: {exc}"


class Dispatcher:
    """Calls named methods with koji's argument conventions."""

    def __init__(self, methods: dict[str, Callable[..., Any]], version: str = "") -> None:
        self.methods = dict(methods)
        self.version = version
        self._signatures = {name: inspect.signature(fn) for name, fn in self.methods.items()}

    def list_methods(self) -> list[str]:
        return sorted([*self.methods, "multiCall", "system.listMethods"])

    def call(self, name: str, params: list[Any] | tuple[Any, ...]) -> Any:
        args = list(params)
        kwargs: dict[str, Any] = {}
        if args and isinstance(args[-1], dict) and args[-1].get("__starstar"):
            kwargs = {k: v for k, v in args.pop().items() if k != "__starstar"}
        if name == "system.listMethods":
            return self.list_methods()
        if name == "multiCall":
            return self.multi_call(*args, **kwargs)
        fn = self.methods.get(name)
        if fn is None:
            raise GenericError(f"Invalid method: {name}")
        try:
            self._signatures[name].bind(*args, **kwargs)
        except TypeError as exc:
            raise ParameterError(f"{name}: {exc}") from None
        return fn(*args, **kwargs)

    def multi_call(self, calls: list[dict[str, Any]]) -> list[Any]:
        if not isinstance(calls, list):
            raise ParameterError("multiCall expects a list of calls")
        results: list[Any] = []
        for entry in calls:
            try:
                if not isinstance(entry, dict) or not isinstance(entry.get("methodName"), str):
                    raise ParameterError(f"Invalid multicall entry: {entry!r}")
                if entry["methodName"] == "multiCall":
                    raise GenericError("Nested multicalls are not allowed")
                results.append([self.call(entry["methodName"], entry.get("params", []))])
            except Exception as exc:
                code, text = fault_of(exc)
                if code == 1:
                    log.exception("multicall method %s failed", entry)
                results.append(
                    {"faultCode": code, "faultString": text, "traceback": traceback.format_exc()}
                )
        return results

    def handle(self, data: bytes) -> bytes:
        """Answer one XML-RPC request body."""
        try:
            params, name = xmlrpc.client.loads(data)
        except (ExpatError, xmlrpc.client.ResponseError, ValueError, TypeError) as exc:
            return dump_response(xmlrpc.client.Fault(1000, f"Malformed XML-RPC call: {exc}"))
        try:
            result = self.call(name or "", params)
            return dump_response(result)
        except Exception as exc:
            code, text = fault_of(exc)
            if code == 1:
                log.exception("method %s failed", name)
            return dump_response(xmlrpc.client.Fault(code, text))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 64 * 1024  # buffered: headers and body leave together when the request ends
    server: HubHTTPServer

    def setup(self) -> None:
        super().setup()
        # no Nagle / delayed-ACK stalls on small responses over a kept-alive connection
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0].rstrip("/") != "/kojihub":
            self._reply(404, b"not found\n", "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_REQUEST_BYTES:
            self._reply(400, b"bad request length\n", "text/plain")
            return
        body = self.server.dispatcher.handle(self.rfile.read(length))
        self._reply(200, body, "text/xml")

    def do_GET(self) -> None:
        self._reply(200, b"sandbox koji hub: POST XML-RPC to /kojihub\n", "text/plain")

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.server.dispatcher.version:
            self.send_header("Koji-Version", self.server.dispatcher.version)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Hang up kept-alive client connections, so no old handler answers after stop."""
        with self._conn_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
