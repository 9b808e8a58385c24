"""The sections of Conveyor's settings file, one frozen dataclass each (defaults here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KojiSettings:
    hub_url: str = "http://127.0.0.1:8700/kojihub"
    web_url: str = "http://127.0.0.1:8700/koji"
    auth: str = "none"
    principal: str = ""
    keytab: str = ""
    cert: str = ""
    serverca: str = ""
    timeout: float = 60.0
    instance: str = "primary"
    owner: str = "conveyor"


@dataclass(frozen=True)
class DistGitSettings:
    base_url: str = "https://src.fedoraproject.org"
    allowed_scm_hosts: tuple[str, ...] = ("src.fedoraproject.org",)
    build_namespaces: tuple[str, ...] = ("rpms", "modules")


@dataclass(frozen=True)
class BranchTarget:
    branch: str
    target: str


@dataclass(frozen=True)
class SiteSettings:
    output_dir: str = "site"
    base_url: str = "http://127.0.0.1:8000/"
    recent_days: int = 7
    stale_minutes: int = 60  # in-flight work with no news for longer is "stale" on the overview


@dataclass(frozen=True)
class CronSettings:
    outbox_flush_seconds: int = 10
    outbox_grace_seconds: int = 5
    reconcile_seconds: int = 60
    stuck_build_hours: int = 24
    site_render_seconds: int = 3  # incremental: what changed, one query when nothing did
    site_full_render_minutes: int = 15


@dataclass(frozen=True)
class RetrySettings:
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 60.0


@dataclass(frozen=True)
class ModuleSettings:
    """The module build orchestrator: koji layout, buildroot and policy."""

    namespace: str = "modules"
    stream_branches: str = r".+"  # pushes to these branches of modules/* build
    base_modules: tuple[str, ...] = ("platform",)
    platform_tag: str = "{stream}-build"  # koji tag a module build inherits for platform:<stream>
    arches: str = "x86_64"
    default_component_ref: str = "rawhide"
    max_concurrent_builds: int = 20
    buildroot_packages: tuple[str, ...] = (
        "bash", "bzip2", "coreutils", "cpio", "diffutils", "findutils", "gawk", "gcc", "gcc-c++",
        "grep", "gzip", "info", "make", "patch", "redhat-rpm-config", "rpm-build", "sed",
        "shadow-utils", "tar", "unzip", "util-linux", "which", "xz",
    )  # fmt: skip
    srpm_buildroot_packages: tuple[str, ...] = (
        "bash", "gnupg2", "redhat-rpm-config", "rpm-build", "shadow-utils",
    )  # fmt: skip
    ready_on_done: bool = True  # until CI gating decides, done moves straight to ready
    stuck_step_minutes: int = 10  # init/wait untouched this long: the reconciler drives them
    git_timeout: float = 120.0


@dataclass(frozen=True)
class ApiSettings:
    """The optional REST process (``conveyor api``) in front of the orchestrator."""

    host: str = "127.0.0.1"
    port: int = 5005
    prefix: str = "/rida"
    allowed_users: tuple[str, ...] = ()  # "*" lets any authenticated user submit
    allowed_groups: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    token: str = ""  # a shared bearer token (sandbox, tests); empty disables it
    token_user: str = "conveyor-token"  # noqa: S105 -- a user name, not a secret
    page_size: int = 20


DEFAULT_BRANCH_TARGETS = (
    BranchTarget(r"rawhide|main|master", "rawhide"),
    BranchTarget(r"f(\d+)", r"f\1-candidate"),
    BranchTarget(r"epel(\d+)", r"epel\1-candidate"),
)
