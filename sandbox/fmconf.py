"""Write fedora-messaging 3.9 TOML configuration files for the sandbox."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}

# Binding entries: a plain string is a routing key for the configured queue;
# a mapping is a full fedora-messaging binding (queue, exchange, routing_keys).
Binding = str | Mapping[str, Any]


def toml_string(value: str) -> str:
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else toml_string(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML cannot hold {value!r}")
        return repr(value)
    if isinstance(value, str | Path):
        return toml_string(str(value))
    if isinstance(value, Mapping):
        items = ", ".join(f"{toml_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{" + items + "}" if items else "{}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and bool(value)
        and all(isinstance(v, Mapping) for v in value)
    )


def toml_dumps(data: Mapping[str, Any], _prefix: tuple[str, ...] = ()) -> str:
    """Serialize nested mappings to TOML (None values are left out)."""
    scalars: list[str] = []
    subtables: list[str] = []
    for key, value in data.items():
        if value is None:
            continue
        path = (*_prefix, toml_key(str(key)))
        if isinstance(value, Mapping) and value:
            body = toml_dumps(value, path)
            if body.startswith("\n["):  # only sub-tables: no header needed
                subtables.append(body.lstrip("\n"))
            else:
                subtables.append(f"[{'.'.join(path)}]\n{body}")
        elif _is_table_array(value):
            for item in value:
                subtables.append(f"[[{'.'.join(path)}]]\n{toml_dumps(item, path)}")
        else:
            scalars.append(f"{path[-1]} = {toml_value(value)}\n")
    return "".join(scalars) + "".join("\n" + t for t in subtables)


def _log_config(level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"simple": {"format": "%(asctime)s [%(name)s %(levelname)s] %(message)s"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "simple",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "fedora_messaging": {"level": level, "propagate": False, "handlers": ["console"]},
            "conveyor": {"level": level, "propagate": False, "handlers": ["console"]},
        },
        "root": {"level": "WARNING", "handlers": ["console"]},
    }


def fm_config(
    amqp_url: str,
    *,
    queue: str | None = None,
    bindings: Sequence[Binding] = (),
    consumer_config: Mapping[str, Any] | None = None,
    topic_prefix: str = "org.fedoraproject.sandbox",
    callback: str | None = None,
    prefetch_count: int = 10,
    app: str = "conveyor-sandbox",
    log_level: str = "INFO",
) -> dict[str, Any]:
    """The configuration as a dict (the shape fedora_messaging.config expects)."""
    conf: dict[str, Any] = {
        "amqp_url": amqp_url,
        "publish_exchange": "amq.topic",
        "topic_prefix": topic_prefix,
        "passive_declares": False,
        "callback": callback,
        "client_properties": {"app": app},
        "qos": {"prefetch_size": 0, "prefetch_count": prefetch_count},
        "consumer_config": dict(consumer_config or {}),
        "log_config": _log_config(log_level),
    }
    if queue is not None:
        conf["queues"] = {
            queue: {"durable": True, "auto_delete": False, "exclusive": False, "arguments": {}}
        }
    keys = [b for b in bindings if isinstance(b, str)]
    entries: list[dict[str, Any]] = [dict(b) for b in bindings if not isinstance(b, str)]
    if keys:
        if queue is None:
            raise ValueError("routing keys given without a queue")
        entries.insert(0, {"queue": queue, "exchange": "amq.topic", "routing_keys": keys})
    if entries:
        conf["bindings"] = entries
    elif queue is not None:
        conf["bindings"] = []  # a named queue with no bindings: never the default "#"
    return conf


def write_fm_conf(path: Path, amqp_url: str, **options: Any) -> Path:
    """Write a fedora-messaging TOML file made by ``fm_config`` (same options); return its path.

    With ``queue``, the queue is durable and not auto-deleted, so its messages
    survive consumer deaths and broker restarts. Strings in ``bindings`` are
    routing keys bound to that queue on ``amq.topic`` (e.g. ``"#.pagure.git.receive"``).
    """
    conf = fm_config(amqp_url, **options)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# written by sandbox.fmconf\n" + toml_dumps(conf))
    return path
