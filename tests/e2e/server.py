"""A rendered site served read-only on 127.0.0.1 by http.server in a thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class StaticSite:
    """A site directory and the server that serves it; ``served`` logs (path, status)."""

    name: str  # names its screenshots
    root: Path
    server: ThreadingHTTPServer
    thread: threading.Thread
    served: list[tuple[str, int]] = field(default_factory=list)

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, rel: str = "") -> str:
        return f"{self.origin}/{rel.lstrip('/')}"

    def html_pages(self) -> list[str]:
        """Every HTML file of the site, relative to its root, overview first."""
        pages = sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.html"))
        return sorted(pages, key=lambda rel: (rel != "index.html", rel.count("/"), rel))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def serve(name: str, root: Path) -> StaticSite:
    """Serve ``root`` (resolved: the renderer's output is a symlink it may swap) on loopback."""
    root = root.resolve()
    served: list[tuple[str, int]] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            served.append((self.path, int(code) if str(code).isdigit() else 0))

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: failures show up in the browser checks instead

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"site {root.name}", daemon=True)
    thread.start()
    return StaticSite(name, root, server, thread, served)
