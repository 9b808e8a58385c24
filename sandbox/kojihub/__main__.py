"""``python -m sandbox.kojihub``: run the sandbox koji hub until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .hub import KojiHub


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.kojihub", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any)")
    parser.add_argument(
        "--distgit-root",
        type=Path,
        required=True,
        help="directory holding <namespace>/<name>.git bare repositories",
    )
    parser.add_argument(
        "--delay", type=float, default=1.0, help="seconds a build takes (default 1.0)"
    )
    parser.add_argument(
        "--fail-pattern",
        action="append",
        default=[],
        metavar="GLOB",
        help="fail builds of packages matching GLOB (repeatable)",
    )
    parser.add_argument(
        "--drop-messages",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="fraction of bus messages to drop at random (0..1)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        metavar="PATH.sqlite",
        help="keep tasks, builds and tags in this SQLite file",
    )
    parser.add_argument(
        "--topdir",
        type=Path,
        default=None,
        help="koji's topdir: RPM files of builds are written here (koji.PathInfo layout)",
    )
    parser.add_argument(
        "--ready-file",
        type=Path,
        default=None,
        help="write the hub URL to this file once listening",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    if not 0.0 <= args.drop_messages <= 1.0:
        parser.error("--drop-messages must be between 0 and 1")
    if args.delay < 0:
        parser.error("--delay must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    hub = KojiHub(
        args.distgit_root,
        port=args.port,
        delay=args.delay,
        fail_patterns=args.fail_pattern,
        drop_fraction=args.drop_messages,
        state_path=args.state,
        topdir=args.topdir,
    )
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    hub.start()
    if args.ready_file is not None:
        partial = args.ready_file.with_name(args.ready_file.name + ".tmp")
        partial.write_text(hub.url + "\n")
        os.replace(partial, args.ready_file)
    try:
        stopping.wait()
    finally:
        hub.stop()
        if args.ready_file is not None:
            args.ready_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
