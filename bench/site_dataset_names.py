"""The Fedora-scale dataset's vocabulary: Fedora-like package names, and the shared draws.

``KINDS`` gives roughly the proportions of Fedora's ``rpms/`` namespace
(plain upstream names, ``python-*``, ``rust-*`` crates, ``perl-Foo-Bar``,
``golang-github-org-repo``, ...); ``package_names`` draws that many distinct
names from a ``random.Random``.
"""

from __future__ import annotations

import random
from typing import Any


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


STEMS = words(
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
WORDS = words(
    "async aws base bind cache cli client codec color common compat config core crypto data "
    "date db debug derive diff encoding event extra fast ffi fmt format fs future glob hash "
    "html http image io iter json lazy lib log macro macros math mime mock net num parse parser "
    "path plugin proc protocol pure py query rand regex rpc runtime serde server shell signal "
    "sql stream sync sys term test text thread time tls toml tools trait types unicode url "
    "utils uuid web xml zip"
)
ORGS = words(
    "google kubernetes hashicorp prometheus coreos containers docker golang spf13 sirupsen "
    "stretchr gorilla etcd-io grpc-ecosystem mattn pkg uber-go go-openapi opencontainers"
)
# (prefix kind, share of the 23,000) -- roughly Fedora's rpms/ namespace.
KINDS = (
    ("plain", 0.31), ("python", 0.17), ("rust", 0.16), ("perl", 0.13), ("golang", 0.09),
    ("php", 0.03), ("ghc", 0.03), ("R", 0.02), ("nodejs", 0.02), ("mingw", 0.02),
    ("ocaml", 0.01), ("texlive", 0.01),
)  # fmt: skip


def pick(rng: random.Random, weighted: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    point, total = rng.random(), 0.0
    for item in weighted:
        total += item[-1]
        if point < total:
            return item
    return weighted[-1]


def pick_value(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    """The value of a (value, share) pair drawn by share."""
    return pick(rng, weighted)[0]


def camel(rng: random.Random, parts: int) -> str:
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
        return f"perl-{camel(rng, rng.choice((1, 2, 2, 3)))}"
    if kind == "golang":
        return f"golang-github-{rng.choice(ORGS)}-{rng.choice((stem, word))}-{word}"
    if kind == "php":
        return f"php-{rng.choice(('pecl', 'symfony', 'laminas', 'doctrine'))}-{word}"
    if kind == "R":
        return f"R-{camel(rng, 1).replace('-', '')}{rng.choice(WORDS)}"
    if kind == "texlive":
        return f"texlive-{word}{stem}"
    return f"{kind}-{rng.choice((stem, word))}{rng.choice(('', '-' + word))}"


def package_names(rng: random.Random, count: int) -> list[str]:
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


def commit_hash(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"
