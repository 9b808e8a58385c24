"""CI results from the bus, every era, as one typed event (``CIResult``).

- ``resultsdb.result.new``: the fedmsg era (``task{item,type,name}`` +
  ``result{outcome,...}``, also what ``taskotron.result.new`` carried) and
  the fedora-messaging era (the result itself: ``testcase``, ``outcome``,
  ``data{item,type}`` with list values, ``submit_time``, ``ref_url``).
- the CI messages spec, ``ci.<artifact>.test.complete|error|queued|running``:
  1.x keeps the test under ``test{namespace,type,category,result}``, 0.x at
  the top level (``namespace``, ``type``, ``category``, ``status``). The test
  case is ``<namespace>.<type>.<category>``, as Greenwave names it.
- the CentOS CI pipeline (``ci.pipeline.<stage>.<event>`` and the older
  ``allpackages.pipeline.*``): flat ``repo``, ``rev``, ``branch``, ``nvr``,
  ``status``. The test case is the topic with its event word made ``complete``,
  the name Fedora's resultsdb gave these results.

A CI topic that announces no test result gives ``CINotAResult`` (ignored
with its reason); a result message that lacks what makes it one is ``Invalid``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from consumers import fields
from consumers.events import CINotAResult, CIResult
from conveyor.errors import Invalid

_ORG_PREFIX = re.compile(r"^org\.(?:fedoraproject|centos)\.[A-Za-z]+\.")
_SPEC_TOPIC = re.compile(r"ci\.(?P<artifact>[A-Za-z0-9_-]+)\.test\.(?P<event>[a-z]+)")
_PIPELINE = re.compile(r"(?:ci\.pipeline|ci\.allpackages\.pipeline|allpackages\.pipeline)\.(.+)")
OUTCOME_WORDS = {
    "passed": "passed", "pass": "passed", "success": "passed",
    "failed": "failed", "fail": "failed", "failure": "failed", "unstable": "failed",
    "error": "error", "errored": "error", "aborted": "error", "crashed": "error",
    "info": "info", "needs_inspection": "needs_inspection",
    "queued": "queued", "running": "running", "not_applicable": "not_applicable",
}  # fmt: skip
ARTIFACT_WORDS = {
    "koji_build": "koji_build", "koji-build": "koji_build", "brew-build": "koji_build",
    "redhat-module": "module", "module": "module", "mbs": "module",
    "bodhi_update": "bodhi_update", "bodhi-update": "bodhi_update",
    "productmd-compose": "compose", "compose": "compose",
    "container-image": "container_image", "dist-git-pr": "pull_request",
    "pull-request": "pull_request",
}  # fmt: skip


def outcome(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or raw.strip().lower() not in OUTCOME_WORDS:
        raise Invalid(f"{where}: unknown outcome {raw!r}")
    return OUTCOME_WORDS[raw.strip().lower()]


def artifact_type(raw: Any) -> str:
    return ARTIFACT_WORDS.get(raw, "other") if isinstance(raw, str) else "other"


def timestamp(raw: Any) -> datetime | None:
    """A result's time as naive UTC; the eras wrote ISO 8601, with or without a zone or 'UTC'."""
    if not isinstance(raw, str) or not raw:
        return None
    text = raw.strip().removesuffix(" UTC").replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise Invalid(f"{where}: expected a non-empty string, got {value!r}")
    text = str(value).strip()
    if len(text) > 255 or any(ch in text for ch in "\n\r\t"):
        raise Invalid(f"{where}: not a usable name: {text[:80]!r}")
    return text


def _branch(value: Any) -> str | None:
    """A branch worth keeping: a short single-line string (anything else is dropped)."""
    if not isinstance(value, str) or not value or len(value) > 255 or "\n" in value:
        return None
    return value


def _url(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def bare_ci(topic: str) -> str:
    return _ORG_PREFIX.sub("", topic, count=1)


# -- resultsdb and taskotron ------------------------------------------------------------------


def parse_resultsdb(topic: str, body: Any) -> CIResult:
    if not isinstance(body, dict):
        raise Invalid(f"body: expected an object, got {type(body).__name__}")
    if isinstance(body.get("task"), dict):
        return _task_era(body, "resultsdb")
    result = body.get("result") if isinstance(body.get("result"), dict) else body
    testcase = result.get("testcase")
    name = testcase.get("name") if isinstance(testcase, dict) else testcase
    data = result.get("data") if isinstance(result.get("data"), dict) else {}
    item = (
        _first(data.get("item")) or _first(data.get("nvr")) or _first(data.get("original_spec_nvr"))
    )
    kind = _first(data.get("type")) or ("koji_build" if _first(data.get("nvr")) else None)
    return CIResult(
        source="resultsdb",
        artifact_type=artifact_type(kind),
        artifact=_name(item, "body.data.item"),
        testcase=_name(name, "body.testcase.name"),
        outcome=outcome(result.get("outcome"), "body.outcome"),
        raw_outcome=str(result.get("outcome")),
        result_at=timestamp(result.get("submit_time")),
        ref_url=_url(result.get("ref_url")),
        branch=_branch(_first(data.get("branch"))),
    )


def parse_taskotron(topic: str, body: Any) -> CIResult:
    if not isinstance(body, dict):
        raise Invalid(f"body: expected an object, got {type(body).__name__}")
    return _task_era(body, "taskotron")


def _task_era(body: dict, source: str) -> CIResult:
    task = fields.mapping(body, "task")
    result = fields.mapping(body, "result")
    return CIResult(
        source=source,
        artifact_type=artifact_type(task.get("type")),
        artifact=_name(task.get("item"), "body.task.item"),
        testcase=_name(task.get("name"), "body.task.name"),
        outcome=outcome(result.get("outcome"), "body.result.outcome"),
        raw_outcome=str(result.get("outcome")),
        result_at=timestamp(result.get("submit_time")),
        ref_url=_url(result.get("log_url")) or _url(result.get("job_url")),
    )


def _first(value: Any) -> str | None:
    """resultsdb keeps every data value as a list; older results had plain strings."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


# -- the CI messages spec and the CentOS CI pipeline ------------------------------------------


def parse_ci(topic: str, body: Any) -> CIResult | CINotAResult:
    bare = bare_ci(topic)
    if not isinstance(body, dict):
        raise Invalid(f"body: expected an object, got {type(body).__name__}")
    pipeline = _PIPELINE.fullmatch(bare)
    if pipeline:
        return _pipeline_result(topic, pipeline.group(1), body)
    spec = _SPEC_TOPIC.fullmatch(bare)
    if spec is None:
        return CINotAResult(f"{bare}: not a CI test event (ci.<artifact>.test.<event>)")
    event = spec.group("event")
    if event not in ("complete", "error", "queued", "running"):
        return CINotAResult(f"{bare}: test event {event!r} carries no result")
    return _spec_result(event, body)


def _spec_result(event: str, body: dict) -> CIResult:
    artifact = fields.mapping(body, "artifact")
    kind = artifact_type(artifact.get("type"))
    test = body["test"] if isinstance(body.get("test"), dict) else body  # 1.x | 0.x
    parts = [test.get(k) for k in ("namespace", "type", "category")]
    if not all(isinstance(p, str) and p for p in parts[:2]):
        raise Invalid("body.test: namespace and type are required to name the test case")
    raw = {"complete": test.get("result", test.get("status")), "error": "error"}.get(event, event)
    run = body.get("run") if isinstance(body.get("run"), dict) else {}
    return CIResult(
        source="ci-spec",
        artifact_type=kind,
        artifact=_name(_spec_identifier(kind, artifact), "body.artifact"),
        testcase=_name(".".join(p for p in parts if isinstance(p, str) and p), "body.test"),
        outcome=outcome(raw, "body.test.result"),
        raw_outcome=str(raw),
        result_at=timestamp(body.get("generated_at")),
        ref_url=_url(run.get("url")),
        branch=_branch(artifact.get("branch")),
    )


def _spec_identifier(kind: str, artifact: dict) -> Any:
    if kind == "koji_build":
        return artifact.get("nvr")
    if kind == "module":
        if artifact.get("nsvc"):
            return artifact["nsvc"]
        parts = [artifact.get(k) for k in ("name", "stream", "version", "context")]
        present = [str(p) for p in parts if p not in (None, "")]
        return ":".join(present) if len(present) >= 3 else None
    return artifact.get("nvr") or artifact.get("id")


_PIPELINE_EVENTS = {"complete": None, "running": "running", "queued": "queued",
                    "ignored": "not_applicable", "ignore": "not_applicable"}  # fmt: skip


def _pipeline_result(topic: str, stage: str, raw_body: dict) -> CIResult | CINotAResult:
    # some senders left a trailing space in keys ("ref ", "compose_url ")
    body = {k.strip(): v for k, v in raw_body.items() if isinstance(k, str)}
    stage, _, event = stage.rpartition(".")
    if event not in _PIPELINE_EVENTS:
        return CINotAResult(f"pipeline event {event!r} carries no result")
    status = body.get("status")
    if event == "complete":
        if not isinstance(status, str) or not status:
            raise Invalid("body.status: a completed pipeline stage must say how it ended")
        word = outcome(status, "body.status")
    else:
        word = _PIPELINE_EVENTS[event] or "error"
    kind, artifact = _pipeline_artifact(stage, body)
    return CIResult(
        source="ci-spec",
        artifact_type=kind,
        artifact=_name(artifact, "body (nvr, or repo and rev)"),
        testcase=_name(topic.rpartition(".")[0] + ".complete", "topic"),
        outcome=word,
        raw_outcome=f"{event} {status}" if isinstance(status, str) else event,
        ref_url=_url(body.get("build_url")),
        branch=_branch(body.get("branch")),
    )


def _pipeline_artifact(stage: str, body: dict) -> tuple[str, Any]:
    """What the stage tested: a koji build, a pull request, or a dist-git commit."""
    namespace = body.get("namespace")
    if not isinstance(namespace, str) or namespace in ("", "null"):
        namespace = "rpms"  # the pipelines tested rpms unless they said otherwise
    repo, rev = body.get("repo"), body.get("rev")
    where = f"{namespace}/{repo}"
    if stage.startswith("allpackages-build"):
        nvr = body.get("nvr") or body.get("original_spec_nvr")
        if nvr:
            return "koji_build", nvr
        if isinstance(rev, str) and rev.startswith("kojitask-"):
            return "koji_task", rev.removeprefix("kojitask-")
        raise Invalid("body: a build pipeline result names no nvr and no koji task")
    if not (isinstance(repo, str) and repo and isinstance(rev, str) and rev):
        raise Invalid("body.repo, body.rev: the tested repository and revision are required")
    if stage.endswith("-pr") or "-pr." in stage:
        return "pull_request", f"{where}#{rev}"
    return "dist_git_commit", f"{where}@{rev}"
