"""``KojiHub``: the store, the builder and the XML-RPC server, wired together."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .actions import Actions
from .api import KOJI_VERSION, KojiAPI
from .builder import Builder
from .messages import Publisher, PublishFn
from .server import Dispatcher, HubHTTPServer
from .store import Store

log = logging.getLogger(__name__)

HOST = "127.0.0.1"


class KojiHub:
    """A koji hub on loopback for the demo and the tests.

    ``publish(topic, body)`` gets topics without prefix (``buildsys.tag`` ...);
    by default messages go through fedora-messaging's configured broker.
    """

    def __init__(
        self,
        distgit_root: Path,
        port: int = 0,
        delay: float = 1.0,
        fail_patterns: Sequence[str] = (),
        drop_fraction: float = 0.0,
        publish: PublishFn | None = None,
        state_path: Path | None = None,
        topdir: Path | None = None,
    ) -> None:
        self.distgit_root = Path(distgit_root)
        self._requested_port = port
        self._delay = delay
        self._fail_patterns = list(fail_patterns)
        self._state_path = state_path
        self.topdir = Path(topdir) if topdir is not None else None  # koji's files (RPMs)
        self.publisher = Publisher(publish, drop_fraction)
        self._server: HubHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._store: Store | None = None
        self._builder: Builder | None = None
        self.api: KojiAPI | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the hub is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The XML-RPC endpoint for ``koji.ClientSession``."""
        return f"http://{HOST}:{self.port}/kojihub"

    @property
    def web_url(self) -> str:
        return f"http://{HOST}:{self.port}/koji"

    def start(self) -> None:
        """Listen on 127.0.0.1 and start building; returns at once."""
        if self._server is not None:
            raise RuntimeError("the hub is already started")
        server = HubHTTPServer((HOST, self._requested_port), Dispatcher({}, KOJI_VERSION))
        port = server.server_address[1]
        store = Store(self._state_path)
        actions = Actions(store, self.publisher, f"http://{HOST}:{port}/koji")
        builder = Builder(
            actions,
            self.distgit_root,
            self._delay,
            self._fail_patterns,
            base_url=f"http://{HOST}:{port}",
        )
        api = KojiAPI(store, actions, builder, self.publisher, topdir=self.topdir)
        server.dispatcher = Dispatcher(
            {wire: getattr(api, attr) for wire, attr in KojiAPI.EXPORTS.items()}, KOJI_VERSION
        )
        self._server, self._store, self._builder, self.api = server, store, builder, api
        builder.start()
        self._thread = threading.Thread(
            target=server.serve_forever,
            name="kojihub-http",
            kwargs={"poll_interval": 0.1},
            daemon=True,
        )
        self._thread.start()
        log.info("sandbox koji hub listening on %s", self.url)

    def stop(self) -> None:
        """Stop serving and building; the state file, if any, keeps what was done."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._builder is not None:
            self._builder.stop()
            self._builder = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def stats(self) -> dict[str, Any]:
        if self.api is None:
            raise RuntimeError("the hub is not started")
        return self.api.sandbox_stats()

    def __enter__(self) -> KojiHub:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
