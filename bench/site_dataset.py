"""A Fedora-scale dataset for the status site, generated and bulk-loaded (SQLite or PostgreSQL).

Deterministic for a seed. What it holds, by default (``Scale``):

* 23,000 dist-git packages with Fedora-like names: ``rust-*`` crates,
  ``python-*``, ``perl-Foo-Bar``, ``golang-github-org-repo``, ``ghc-*``,
  ``R-*``, ``php-*``, ``nodejs-*``, ``ocaml-*``, ``mingw-*`` and plain upstream
  names, in roughly the proportions of Fedora's ``rpms/`` namespace.
* 250,000 builds spread heavy-tailed over the packages (log-normal weights:
  most packages have a handful of builds, a few have hundreds), over the last
  15 months at a steady rate plus a mass-rebuild week, on rawhide, branched
  and stable Fedora branches and EPEL; ~89 % complete, ~8 % failed, ~2 %
  canceled, a few hundred queued or building right now. Every build has the
  trace Conveyor writes (request, then each state change: ~3 rows a build)
  and the push that started it in the branch history, plus ignored pushes.
* 1,000 module builds of ~120 modules, 1-120 components each (~15 on
  average), later builds of a stream reusing earlier components; ready,
  failed, a few in progress; their traces and the components' traces.
* What the overview counts: a few hundred rejected messages, the outbox of
  the last week (a few rows pending), the inbox of the last week (see
  bench/README.md: nothing prunes the inbox yet).

* What the pipeline pages show (each part in its own module, drawing from its
  own random stream so the tables above stay the same for a seed):
  ``site_dataset_streams`` ~1,000 module stream definitions with modulemd v2
  dependencies rooted at ``platform:fNN`` and component refs;
  ``site_dataset_composes`` 5,000 composes with contents and traces;
  ``site_dataset_chains`` 50 rebuild chains with tiers, items and traces;
  ``site_dataset_ci`` CI results and gating decisions of builds and module
  builds.

Rows are generated as tuples in table column order and loaded with one
``executemany`` per table on SQLite and ``COPY ... FROM STDIN`` on
PostgreSQL, after ``alembic upgrade head`` created the schema.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text

from bench import site_dataset_chains, site_dataset_ci, site_dataset_composes, site_dataset_streams
from conveyor.db import normalize_url
from models.migrations import upgrade


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


STEMS = _words(
    "abseil acl alsa apr aspell atk attr audit augeas autoconf automake avahi babel bind bison "
    "blas boost brotli bzip2 cairo ccache cdrkit check chrony clang cmake colord coreutils cpio "
    "cracklib cronie cryptsetup cups curl cyrus dbus dconf dejavu desktop diffutils dnf docbook "
    "dracut e2fsprogs elfutils emacs enchant expat fftw file findutils firefox flac flex fmt "
    "fontconfig freetype fribidi fuse gawk gcc gdb gdbm gdk geoclue gettext ghostscript giflib "
    "git glade glib glibc glusterfs gmp gnupg gnutls gobject gperf graphite graphviz grep groff "
    "grub gsettings gsl gstreamer gtk guile gzip harfbuzz hdf5 hunspell hwdata icu imagemagick "
    "inkscape iproute iptables iso jansson jasper java jbig json kde kernel keyutils kmod krb5 "
    "lapack lcms less libarchive libcap libdrm libevent libffi libgcrypt libinput libjpeg libnl "
    "libpng libsndfile libssh libtiff libtool libusb libuv libvirt libwebp libxml libxslt llvm "
    "lua lvm lz4 lzo m4 make man mariadb mesa meson mozjs mpfr mutter nano ncurses net nettle "
    "nfs nghttp2 nginx nodejs nspr nss numactl ocaml openblas openjpeg openldap openssh openssl "
    "opus orc p11 pam pango parted patch pcre perl php pipewire pixman pkgconf plymouth polkit "
    "poppler popt postgresql procps protobuf pulseaudio qemu qt readline redis rpm rsync ruby "
    "samba sane sdl sed selinux shadow snappy sqlite squid strace subversion sudo systemd tar tbb "
    "tcl texinfo tk tpm2 tzdata udisks unbound unzip util vala vim vte wayland webkit wget which "
    "wireshark x264 xapian xcb xerces xfsprogs xkb xorg xz yaml zlib zstd zsh"
)
WORDS = _words(
    "async aws base bind cache cli client codec color common compat config core crypto data "
    "date db debug derive diff encoding event extra fast ffi fmt format fs future glob hash "
    "html http image io iter json lazy lib log macro macros math mime mock net num parse parser "
    "path plugin proc protocol pure py query rand regex rpc runtime serde server shell signal "
    "sql stream sync sys term test text thread time tls toml tools trait types unicode url "
    "utils uuid web xml zip"
)
ORGS = _words(
    "google kubernetes hashicorp prometheus coreos containers docker golang spf13 sirupsen "
    "stretchr gorilla etcd-io grpc-ecosystem mattn pkg uber-go go-openapi opencontainers"
)
# (prefix kind, share of the 23,000) -- roughly Fedora's rpms/ namespace.
KINDS = (
    ("plain", 0.31), ("python", 0.17), ("rust", 0.16), ("perl", 0.13), ("golang", 0.09),
    ("php", 0.03), ("ghc", 0.03), ("R", 0.02), ("nodejs", 0.02), ("mingw", 0.02),
    ("ocaml", 0.01), ("texlive", 0.01),
)  # fmt: skip
BRANCHES = (
    ("rawhide", "rawhide", 0.50), ("f41", "f41-candidate", 0.17), ("f40", "f40-candidate", 0.13),
    ("f39", "f39-candidate", 0.06), ("epel9", "epel9-candidate", 0.09),
    ("epel8", "epel8-candidate", 0.05),
)  # fmt: skip
DIST = {"rawhide": "fc42", "f41": "fc41", "f40": "fc40", "f39": "fc39", "epel9": "el9",
        "epel8": "el8"}  # fmt: skip
FINAL_STATES = (("complete", 0.895), ("failed", 0.08), ("canceled", 0.02), ("skipped", 0.005))
FAILURES = (
    "rpmbuild failed: %check exited 1", "BuildError: error building package (arch x86_64)",
    "missing BuildRequires: python3dist(setuptools-scm) >= 8",
    "koji task timed out after 24 hours", "no progress for 24 hours",
    "Unable to resolve dependencies: nothing provides libfoo.so.3()(64bit)",
)  # fmt: skip
MODULES = _words(
    "nodejs perl ruby postgresql mariadb mysql php python39 redis nginx httpd varnish maven "
    "container-tools go-toolset rust-toolset llvm-toolset gimp inkscape subversion squid "
    "swig scala sbt jmc eclipse avocado dotnet django flatpak-runtime idm pki-core"
)
MODULE_STATES = (("ready", 0.85), ("failed", 0.10), ("build", 0.03), ("wait", 0.01), ("init", 0.01))


@dataclass(frozen=True)
class Scale:
    packages: int = 23_000
    builds: int = 250_000
    module_builds: int = 1_000
    in_flight: int = 250  # queued or building right now
    months: float = 15.0
    rejected: int = 300
    streams: int = 1_000  # module streams the knower has a definition of
    composes: int = 5_000
    chains: int = 50
    seed: int = 20241101


@dataclass
class Tables:
    """Rows per table, as tuples in ``COLUMNS`` order."""

    rows: dict[str, list[tuple]] = field(default_factory=dict)

    def add(self, table: str, row: tuple) -> None:
        self.rows.setdefault(table, []).append(row)

    def count(self, table: str) -> int:
        return len(self.rows.get(table, ()))


COLUMNS = {
    "packages": ("id", "namespace", "name"),
    "builds": ("id", "package_id", "branch", "commit", "target", "source", "state",
               "state_reason", "reason", "pusher", "koji_task_id", "koji_build_id", "nvr",
               "created_at", "updated_at", "completed_at"),
    "build_transitions": ("id", "build_id", "from_state", "to_state", "cause", "reason", "at"),
    "branch_refs": ("id", "package_id", "branch", "old_commit", "new_commit", "pusher",
                    "pushed_at", "message_id", "decision"),
    "module_builds": ("id", "name", "stream", "version", "context", "scmurl", "commit", "owner",
                      "modulemd", "state", "state_reason", "batch", "koji_tag", "buildrequires",
                      "repo_task_id", "last_repo_id", "repo_requested_at", "submitted_at",
                      "updated_at", "completed_at"),
    "component_builds": ("id", "module_build_id", "package", "ref", "commit", "repository",
                         "batch", "state", "state_reason", "koji_task_id", "koji_build_id", "nvr",
                         "tagged_build", "tagged_dest", "reused_from_id", "updated_at"),
    "module_build_transitions": ("id", "module_build_id", "from_state", "to_state", "cause",
                                 "reason", "at"),
    "component_build_transitions": ("id", "component_build_id", "from_state", "to_state",
                                    "cause", "reason", "at"),
    "rejected_messages": ("id", "message_id", "topic", "body", "headers", "consumer", "kind",
                          "reason", "rejected_at"),
    "outbox": ("id", "message_id", "topic", "body", "created_at", "sent_at", "attempts",
               "last_error"),
    "inbox": ("message_id", "topic", "consumer", "outcome", "processed_at"),
    **site_dataset_streams.COLUMNS,
    **site_dataset_composes.COLUMNS,
    **site_dataset_chains.COLUMNS,
    **site_dataset_ci.COLUMNS,
}  # fmt: skip


def _pick(rng: random.Random, weighted: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    point, total = rng.random(), 0.0
    for item in weighted:
        total += item[-1]
        if point < total:
            return item
    return weighted[-1]


def _camel(rng: random.Random, parts: int) -> str:
    return "-".join(rng.choice(WORDS).capitalize() for _ in range(parts))


def package_name(rng: random.Random, kind: str) -> str:
    stem, word = rng.choice(STEMS), rng.choice(WORDS)
    if kind == "plain":
        return rng.choice((stem, f"{stem}-{word}", f"lib{stem}", f"{stem}{rng.randint(1, 5)}",
                           f"{stem}-{word}s", f"{word}{stem}"))  # fmt: skip
    if kind == "python":
        return f"python-{rng.choice((stem, word))}{rng.choice(('', '-' + word, '_' + word))}"
    if kind == "rust":
        name = f"{rng.choice((stem, word))}{rng.choice(('', '-' + word, '_' + word))}"
        return f"rust-{name}{rng.choice(('', '', '', '0.' + str(rng.randint(1, 9))))}"
    if kind == "perl":
        return f"perl-{_camel(rng, rng.choice((1, 2, 2, 3)))}"
    if kind == "golang":
        return f"golang-github-{rng.choice(ORGS)}-{rng.choice((stem, word))}-{word}"
    if kind == "php":
        return f"php-{rng.choice(('pecl', 'symfony', 'laminas', 'doctrine'))}-{word}"
    if kind == "R":
        return f"R-{_camel(rng, 1).replace('-', '')}{rng.choice(WORDS)}"
    if kind == "texlive":
        return f"texlive-{word}{stem}"
    return f"{kind}-{rng.choice((stem, word))}{rng.choice(('', '-' + word))}"


def _names(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    out: list[str] = []
    for kind, share in KINDS:
        wanted = round(count * share) if kind != KINDS[-1][0] else count - len(out)
        while wanted > 0:
            name = package_name(rng, kind)
            while name in names:
                name = f"{name}{rng.choice(WORDS)}" if len(name) < 60 else f"{name[:50]}x"
            names.add(name)
            out.append(name)
            wanted -= 1
    rng.shuffle(out)
    return out[:count]


def _commit(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _spread(rng: random.Random, total: int, slots: int, sigma: float) -> list[int]:
    """``total`` split over ``slots``, at least one each, log-normal weights (heavy tail)."""
    weights = [rng.lognormvariate(0, sigma) for _ in range(slots)]
    scale = (total - slots) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    for i in rng.sample(range(slots), total - sum(counts)):
        counts[i] += 1
    return counts


def generate(scale: Scale, now: datetime) -> Tables:
    """Every row of the dataset; ``now`` is naive UTC (the end of the history)."""
    rng = random.Random(scale.seed)
    tables = Tables()
    start = now - timedelta(days=30.4 * scale.months)
    span = (now - start).total_seconds()
    mass_rebuild = now - timedelta(days=120)
    packagers = [
        f"{rng.choice(WORDS)}{rng.choice(STEMS)[:4]}{rng.randint(1, 99)}" for _ in range(1500)
    ]
    names = _names(rng, scale.packages)
    for pid, name in enumerate(names, start=1):
        tables.add("packages", (pid, "rpms", name))
    per_package = _spread(rng, scale.builds, scale.packages, 1.1)
    in_flight = set(rng.sample(range(scale.builds), scale.in_flight))
    build_id = transition_id = ref_id = 0
    task = 40_000_000
    for pid, (name, count) in enumerate(zip(names, per_package, strict=True), start=1):
        owner = rng.choice(packagers)
        version = f"{rng.randint(0, 12)}.{rng.randint(0, 30)}"
        for n in range(count):
            build_id += 1
            branch, target, _ = _pick(rng, BRANCHES)
            if rng.random() < 0.08:  # the mass rebuild week
                created = mass_rebuild + timedelta(seconds=rng.random() * 7 * 86400)
            else:
                created = start + timedelta(seconds=rng.random() * span)
            flying = (build_id - 1) in in_flight
            if flying:
                created = now - timedelta(seconds=rng.random() * 6 * 3600)
            commit = _commit(rng)
            pusher = owner if rng.random() < 0.8 else rng.choice(packagers)
            source = f"git+https://src.fedoraproject.org/rpms/{name}.git#{commit}"
            state = rng.choice(("queued", "building")) if flying else _pick(rng, FINAL_STATES)[0]
            trace = [("queued", created)]
            at = created
            if state != "queued" and state != "skipped":
                at = at + timedelta(seconds=rng.uniform(1, 120))
                trace.append(("building", at))
            if state in ("complete", "failed", "canceled", "skipped"):
                at = min(now, at + timedelta(seconds=rng.lognormvariate(6.5, 1.2)))
                trace.append((state, at))
            release = f"{n + 1}.{DIST[branch]}"
            task += rng.randint(1, 40)
            started = state in ("building", "complete", "failed", "canceled")
            reason = rng.choice(FAILURES) if state == "failed" else ""
            tables.add("builds", (
                build_id, pid, branch, commit, target, source, state, reason,
                f"push to {branch} by {pusher}", pusher, task if started else None,
                task + 7 if state == "complete" else None,
                f"{name}-{version}-{release}" if state == "complete" else None,
                created, at, at if state in ("complete", "failed", "canceled", "skipped") else None,
            ))  # fmt: skip
            old = None
            for to, when in trace:
                transition_id += 1
                why = reason if to == "failed" else ""
                tables.add("build_transitions", (
                    transition_id, build_id, old, to, f"msg-{transition_id:x}", why, when,
                ))  # fmt: skip
                old = to
            ref_id += 1
            tables.add("branch_refs", (
                ref_id, pid, branch, _commit(rng), commit, pusher, created - timedelta(seconds=1),
                f"push-{ref_id}", f"build queued for {target}",
            ))  # fmt: skip
            if rng.random() < 0.04:  # a push to a branch Conveyor does not build
                ref_id += 1
                tables.add("branch_refs", (
                    ref_id, pid, f"private-{rng.choice(WORDS)}", None, _commit(rng), pusher,
                    created, f"push-{ref_id}",
                    "ignored: not built: branch maps to no koji target",
                ))  # fmt: skip
    _modules(rng, scale, tables, start, now, packagers, names)
    _operations(rng, scale, tables, now)
    _pipeline(scale, tables, names, start, now)
    return tables


def _pipeline(scale: Scale, tables: Tables, names: list[str], start: datetime, now: datetime):
    """Stream knowledge, composes, chains, CI: after the builds and module builds they name."""
    seed = scale.seed
    graph = site_dataset_streams.generate_streams(seed, scale.streams, tables, names, start, now)
    site_dataset_composes.generate_composes(seed, scale.composes, tables, graph, start, now)
    site_dataset_chains.generate_chains(seed, scale.chains, tables, graph, start, now)
    site_dataset_ci.generate_ci(seed, tables, now)


def _modules(
    rng: random.Random,
    scale: Scale,
    tables: Tables,
    start: datetime,
    now: datetime,
    packagers: list[str],
    names: list[str],
) -> None:
    streams: dict[str, list[str]] = {
        m: [str(s) for s in rng.sample(range(1, 25), rng.randint(1, 4))] for m in MODULES
    }
    keys = [(m, s) for m, ss in streams.items() for s in ss]
    components_of = {
        key: rng.sample(names, max(1, min(120, int(rng.lognormvariate(2.4, 0.9))))) for key in keys
    }
    previous: dict[tuple[str, str], dict[str, int]] = {}  # stream -> package -> component id
    component_id = mt_id = ct_id = 0
    span = (now - start).total_seconds()
    times = sorted(
        start + timedelta(seconds=rng.random() * span) for _ in range(scale.module_builds)
    )
    for mid, submitted in enumerate(times, start=1):
        name, stream = rng.choice(keys)
        version = int(submitted.strftime("%Y%m%d%H%M%S")) + mid
        state = _pick(rng, MODULE_STATES)[0]
        if state in ("init", "wait", "build"):
            submitted = now - timedelta(seconds=rng.random() * 3 * 3600)
        packages = components_of[(name, stream)]
        batches = max(1, min(6, len(packages) // 5))
        tag = None if state in ("init", "wait") else f"module-{name}-{stream}-{version}-c0ffee00"
        current = 0 if tag is None else (rng.randint(1, batches) if state == "build" else batches)
        states = ["init", "wait", "build", "done", "ready"]
        path = {"ready": states, "build": states[:3], "wait": states[:2], "init": states[:1],
                "failed": [*states[: rng.randint(1, 3)], "failed"]}[state]  # fmt: skip
        at = submitted
        old = None
        for to in path:
            mt_id += 1
            reason = "component build failed" if to == "failed" else ""
            tables.add(
                "module_build_transitions", (mt_id, mid, old, to, f"msg-m{mt_id}", reason, at)
            )
            old = to
            at = min(now, at + timedelta(seconds=rng.lognormvariate(6, 1)))
        owner = rng.choice(packagers)
        commit = _commit(rng)
        finished = state in ("ready", "failed")
        tables.add("module_builds", (
            mid, name, stream, version, "c0ffee00",
            f"git+https://src.fedoraproject.org/modules/{name}.git?#{commit}", commit, owner,
            f"document: modulemd\nversion: 2\ndata:\n  name: {name}\n  stream: '{stream}'\n",
            state, "component build failed" if state == "failed" else "", current, tag,
            json.dumps({"platform:f41": "module-f41-build"}), None, None, None,
            submitted, at, at if finished else None,
        ))  # fmt: skip
        reuse = previous.get((name, stream), {})
        mine: dict[str, int] = {}
        for i, package in enumerate(packages):
            component_id += 1
            batch = 1 + i * batches // len(packages)
            origin = reuse.get(package) if rng.random() < 0.6 else None
            if state == "ready" or (state == "build" and batch < current):
                cstate = "reused" if origin else "complete"
            elif state == "failed":
                cstate = rng.choice(("complete", "failed", "canceled", "waiting"))
                cstate = "waiting" if cstate == "waiting" else cstate
            elif state == "build" and batch == current:
                cstate = rng.choice(("building", "complete"))
            else:
                cstate = "waiting"
            if cstate == "reused" and origin is None:
                cstate = "complete"
            task = 50_000_000 + component_id if cstate in ("building", "complete", "failed",
                                                             "canceled") else None  # fmt: skip
            nvr = f"{package}-1.0-1.module+{version}" if cstate in ("complete", "reused") else None
            tables.add("component_builds", (
                component_id, mid, package, stream, _commit(rng),
                f"https://src.fedoraproject.org/rpms/{package}", batch, cstate,
                "koji task failed" if cstate == "failed" else "", task,
                60_000_000 + component_id if cstate == "complete" else None, nvr,
                cstate in ("complete", "reused"), cstate in ("complete", "reused"),
                origin if cstate == "reused" else None, at,
            ))  # fmt: skip
            mine[package] = component_id
            if cstate != "waiting":
                ct_id += 1
                tables.add("component_build_transitions", (
                    ct_id, component_id, "waiting", cstate, f"msg-c{ct_id}", "", at,
                ))  # fmt: skip
        if state == "ready":
            previous[(name, stream)] = mine


def _operations(rng: random.Random, scale: Scale, tables: Tables, now: datetime) -> None:
    week = 7 * 86400
    for i in range(1, scale.rejected + 1):
        at = now - timedelta(seconds=rng.random() * 90 * 86400)
        tables.add("rejected_messages", (
            i, f"rej-{i}", "org.fedoraproject.prod.buildsys.build.state.change",
            json.dumps({"build_id": "x" * rng.randint(1, 200)}), json.dumps({}),
            rng.choice(("koji", "distgit", "module")), rng.choice(("invalid", "exhausted")),
            "body.build_id: expected an integer", at,
        ))  # fmt: skip
    recent = [b for b in tables.rows["builds"] if (now - b[14]).total_seconds() < week]
    for i, build in enumerate(recent, start=1):
        sent = None if i <= 5 else build[14] + timedelta(seconds=1)
        tables.add("outbox", (
            i, f"out-{i}", "conveyor.build.state.change.v1",
            json.dumps({"build": {"id": build[0]}, "new": build[6]}), build[14], sent, 0, None,
        ))  # fmt: skip
        for n, consumer in enumerate(("distgit", "koji", "koji")):
            tables.add("inbox", (f"in-{i}-{n}", "t", consumer, "handled",
                                 build[13] + timedelta(seconds=n * 60)))  # fmt: skip


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")  # what SQLAlchemy stores
    if isinstance(value, date):
        return value.isoformat()  # a module stream's EOL
    if isinstance(value, bool):
        return int(value)
    return value


def load(url: str, tables: Tables) -> dict[str, int]:
    """Create the schema with alembic, then bulk-load every table; return row counts."""
    upgrade(url)
    url = normalize_url(url)
    order = list(COLUMNS)
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            for table in order:
                columns = COLUMNS[table]
                quoted = ", ".join(f'"{c}"' for c in columns)  # "commit", "key": keywords
                sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(columns))})"
                rows = tables.rows.get(table, [])
                connection.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))
            connection.commit()
            connection.execute("ANALYZE")
        finally:
            connection.close()
    else:
        engine = create_engine(url)
        try:
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                for table in order:
                    columns = ", ".join(f'"{c}"' for c in COLUMNS[table])
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in tables.rows.get(table, []):
                            copy.write_row(row)
                raw.commit()
            finally:
                raw.close()
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
                for table in order:  # the sequences behind the ids we chose
                    if "id" in COLUMNS[table]:
                        conn.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))"
                        ))  # fmt: skip
        finally:
            engine.dispose()
    return {table: tables.count(table) for table in order}


def now_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def heaviest(tables: Tables, top: int = 5) -> Iterator[tuple[str, int]]:
    """The packages with the most builds (names, counts): the pages that cost most."""
    counts: dict[int, int] = {}
    for build in tables.rows["builds"]:
        counts[build[1]] = counts.get(build[1], 0) + 1
    names = {p[0]: p[2] for p in tables.rows["packages"]}
    for pid, count in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
        yield names[pid], count
