"""conveyor.messages: the outgoing BuildStateChangeV1 schema and its notification fields."""

from __future__ import annotations

import copy

import pytest
from fedora_messaging import message as fm_message
from jsonschema.exceptions import ValidationError

from conveyor.messages import (
    SCHEMAS,
    BuildStateChangeV1,
    ChainStateChangeV1,
    ComposeStateChangeV1,
    ModuleStateChangeV1,
    build_message,
)
from models import Build, ComponentBuild, ModuleBuild, Package
from tests.unit.fakes import COMMIT_A


def announce(session_factory, namespace="rpms", name="bash", old="queued", **extra) -> dict:
    with session_factory.begin() as session:
        package = Package.get_or_create(session, namespace, name)
        build = Build(
            package=package,
            branch="f40",
            commit=COMMIT_A,
            target="f40-candidate",
            source=f"git+https://src.fedoraproject.org/{namespace}/{name}.git#{COMMIT_A}",
            state="building",
            koji_task_id=1000,
            pusher="alice",
            **extra,
        )
        session.add(build)
        session.flush()
        return build.announcement(old)


def test_announcement_validates_against_the_schema(session_factory):
    body = announce(session_factory)
    msg = BuildStateChangeV1(body=body)
    msg.validate()
    assert msg.topic == "conveyor.build.state.change.v1"
    assert msg.app_name == "conveyor"
    assert body["build"]["koji_task_id"] == 1000
    assert (body["old"], body["new"]) == ("queued", "building")


def test_notification_fields(session_factory):
    msg = BuildStateChangeV1(body=announce(session_factory, state_reason="it started"))
    assert msg.summary == "build of rpms/bash for f40-candidate moved from queued to building"
    text = str(msg)
    assert text.splitlines()[0] == msg.summary
    assert f"commit: {COMMIT_A}" in text
    assert f"source: git+https://src.fedoraproject.org/rpms/bash.git#{COMMIT_A}" in text
    assert "reason: it started" in text
    assert msg.usernames == ["alice"]
    assert msg.packages == ["bash"]
    assert msg.url is not None
    assert msg.url.endswith("packages/rpms/bash.html")


def test_summary_prefers_the_nvr(session_factory):
    msg = BuildStateChangeV1(body=announce(session_factory, nvr="bash-5.2-1.fc40"))
    assert msg.summary.startswith("build of bash-5.2-1.fc40 for f40-candidate")


def test_packages_only_for_rpms_and_no_owner_no_usernames(session_factory):
    body = announce(session_factory, namespace="modules", name="nodejs")
    body["owner"] = None
    msg = BuildStateChangeV1(body=body)
    msg.validate()
    assert msg.packages == []
    assert msg.usernames == []
    assert msg.url.endswith("packages/modules/nodejs.html")


def test_a_body_without_build_fails_validation(session_factory):
    body = announce(session_factory)
    del body["build"]
    with pytest.raises(ValidationError):
        BuildStateChangeV1(body=body).validate()


@pytest.mark.parametrize(
    ("path", "value"),
    [(("build", "id"), "1"), (("build", "state"), None), (("new",), 3), (("build",), [])],
)
def test_wrong_types_fail_validation(session_factory, path, value):
    body = copy.deepcopy(announce(session_factory))
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError):
        BuildStateChangeV1(body=body).validate()


def test_build_message_uses_the_schema_class_and_the_row_id(session_factory):
    body = announce(session_factory)
    msg = build_message("conveyor.build.state.change.v1", body, "row-uuid-1")
    assert isinstance(msg, BuildStateChangeV1)
    assert msg.id == "row-uuid-1"
    msg.validate()
    other = build_message("conveyor.something.else", {"x": 1}, "row-uuid-2")
    assert type(other) is fm_message.Message
    assert {
        "conveyor.build.state.change.v1": BuildStateChangeV1,
        "conveyor.module.state.change.v1": ModuleStateChangeV1,
        "conveyor.chain.state.change.v1": ChainStateChangeV1,
        "conveyor.compose.state.change.v1": ComposeStateChangeV1,
    } == SCHEMAS


def test_the_schema_is_registered_under_fedora_messages():
    name = fm_message.get_name(BuildStateChangeV1)
    assert fm_message.get_class(name) is BuildStateChangeV1


def test_module_schema_is_registered_under_fedora_messages():
    name = fm_message.get_name(ModuleStateChangeV1)
    assert fm_message.get_class(name) is ModuleStateChangeV1


def _module_announcement(session_factory, owner="alice") -> dict:
    with session_factory.begin() as session:
        module = ModuleBuild(
            name="nodejs",
            stream="5.30",
            version=20261122010203,
            scmurl="file:///m#x",
            commit=COMMIT_A,
            owner=owner,
            modulemd="",
            koji_tag=None,
        )
        session.add(module)
        session.flush()
        for package, batch in (("npm", 2), ("libuv", 1), ("npm-docs", 2)):
            session.add(
                ComponentBuild(
                    module_build=module,
                    package=package,
                    ref="rawhide",
                    commit=COMMIT_A,
                    repository="file:///r",
                    batch=batch,
                )
            )
        session.flush()
        session.refresh(module)
        module.transition(session, "wait", cause="test", reason="3 components")
        return module.announcement("init")


def test_module_announcement_validates_and_routes_to_owner_and_components(session_factory):
    body = _module_announcement(session_factory)
    msg = build_message("conveyor.module.state.change.v1", body, "row-uuid-3")
    assert isinstance(msg, ModuleStateChangeV1)
    msg.validate()
    assert msg.usernames == ["alice"]
    assert msg.packages == ["libuv", "npm", "npm-docs"]
    assert msg.summary == "module build nodejs:5.30:20261122010203:00000000 moved from init to wait"
    assert "reason: 3 components" in str(msg)
    assert msg.url == f"modules/{body['module_build']['id']}.html"
    assert body["module_build"]["stream"] == "5.30"  # a string, never the float 5.3


def test_module_announcement_without_state_fails_validation(session_factory):
    body = _module_announcement(session_factory)
    del body["module_build"]["state"]
    with pytest.raises(ValidationError):
        ModuleStateChangeV1(topic=ModuleStateChangeV1.topic, body=body).validate()
