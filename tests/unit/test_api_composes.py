"""The ODCS-compatible API (/api/1/) through Flask's test client, on a real SQLite database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from api.app import create_app
from conveyor.messages import ComposeStateChangeV1
from conveyor.settings import parse
from models.base import utcnow
from models.compose import Compose, locked, record
from models.outbox import OutboxMessage

NVRS = ["bash-5.2-1.fc39", "zsh-5.9-5.fc39"]
ALICE = {"REMOTE_USER": "alice", "OIDC_CLAIM_groups": "packagers"}
BOB = {"REMOTE_USER": "bob"}  # in allowed_clients for tag composes only
MALLORY = {"REMOTE_USER": "mallory"}  # authenticated, in no allowed_clients entry
ROOT = {"REMOTE_USER": "root"}  # an admin


@pytest.fixture
def settings():
    return parse(
        {
            "api": {"admins": ["root"]},
            "odcs": {
                "allowed_clients": {
                    "groups": {"packagers": {"source_types": ["tag", "module", "build"]}},
                    "users": {"bob": {"source_types": ["tag"]}},
                },
                "sigkeys": ["12c944d0"],
            },
            "composes": {"base_url": "http://composes.example/"},
        },
        env={},
    )


@pytest.fixture
def client(settings, session_factory):
    return create_app(settings, session_factory).test_client()


def post(client, body, who=ALICE):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post("/api/1/composes/", data=data, environ_base=who)


def build_request(builds=NVRS, **extra):
    return {"source": {"type": "build", "builds": list(builds)}, **extra}


def error(response, status):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["status"] == status
    assert body["error"]
    return body["message"]


def set_state(session_factory, compose_id, *path):
    with session_factory.begin() as session:
        compose = locked(session, compose_id)
        for state in path:
            compose.transition(session, state, cause="test", reason=f"test: {state}")


def state_of(session_factory, compose_id):
    with session_factory() as session:
        return session.get(Compose, compose_id).state


# about


def test_about_tells_version_auth_allowed_clients_and_sigkeys(client):
    # ODCS's client asks for /api/1/about, without the slash
    assert client.get("/api/1/about").get_json() == client.get("/api/1/about/").get_json()
    body = client.get("/api/1/about/").get_json()
    assert body == {
        "version": "0.1.0",
        "auth_backend": "kerberos",
        "allowed_clients": {
            "users": {"bob": {"source_types": ["tag"]}},
            "groups": {"packagers": {"source_types": ["build", "module", "tag"]}},
        },
        "raw_config_urls": {},
        "sigkeys": ["12c944d0"],
    }


# POST


def test_post_a_build_compose_answers_odcs_json(client, session_factory):
    response = post(client, build_request(seconds_to_live=3600, arches=["x86_64", "aarch64"]))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["state"] == 0 and body["state_name"] == "wait"
    assert body["source_type"] == 6
    assert (body["source"], body["builds"]) == ("", " ".join(NVRS))
    assert body["owner"] == "alice"
    assert body["arches"] == "aarch64 x86_64"
    assert body["sigkeys"] == "12c944d0"  # the configured default
    assert body["results"] == ["repository"]
    assert body["toplevel_url"] == f"http://composes.example/odcs-{body['id']}"
    expires = datetime.fromisoformat(body["time_to_expire"].removesuffix("Z"))
    assert timedelta(minutes=59) < expires - utcnow() <= timedelta(hours=1)
    with session_factory() as session:
        topics = session.scalars(select(OutboxMessage.topic)).all()
    assert topics == ["conveyor.compose.state.change.v1"]


def test_odcs_clients_legacy_fields_and_unsigned_sigkey(client):
    """odcs-client sends ``seconds-to-live`` and a build source with ``source: ""``."""
    body = {
        "source": {"type": "build", "source": "", "builds": NVRS, "sigkeys": [""]},
        "seconds-to-live": 600,
        "label": "RC-1",
    }
    response = post(client, body)
    assert response.status_code == 200, response.get_json()
    compose = response.get_json()
    assert (compose["sigkeys"], compose["label"]) == ("", "RC-1")
    renewed = client.patch(
        f"/api/1/composes/{compose['id']}",
        data=json.dumps({"seconds-to-live": 900, "label": "RC-1"}),
        environ_base=ALICE,
    )
    assert renewed.status_code == 200, renewed.get_json()
    left = datetime.fromisoformat(renewed.get_json()["time_to_expire"].removesuffix("Z")) - utcnow()
    assert timedelta(minutes=14) < left <= timedelta(minutes=15)


def test_an_identical_request_reuses_the_live_compose(client, session_factory):
    first = post(client, build_request()).get_json()
    set_state(session_factory, first["id"], "generating")
    again = post(client, build_request(builds=list(reversed(NVRS))), who=ROOT)
    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"]
    with session_factory() as session:
        assert len(session.scalars(select(Compose)).all()) == 1


def test_a_tag_compose_pinned_to_a_koji_event(client, session_factory):
    body = {"source": {"type": "tag", "source": "f39-build", "koji_event": 123456}}
    response = post(client, body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["koji_event"] == 123456
    with session_factory() as session:
        assert session.get(Compose, response.get_json()["id"]).koji_event == 123456
        (announced,) = session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.topic == ComposeStateChangeV1.topic)
        )
    assert announced["compose"]["koji_event"] == 123456  # the first announcement has it too
    again = post(client, body)  # pinned composes are never reused: a second one is made
    assert again.get_json()["id"] != response.get_json()["id"]


def test_seconds_to_live_is_clamped_to_the_maximum_as_odcs_does(client, settings):
    body = post(client, build_request(seconds_to_live=10**9)).get_json()
    expires = datetime.fromisoformat(body["time_to_expire"].removesuffix("Z"))
    limit = timedelta(seconds=settings.composes.max_seconds_to_live)
    assert limit - timedelta(minutes=1) < expires - utcnow() <= limit


def test_post_needs_authentication(client):
    assert error(post(client, build_request(), who={}), 401) == "authentication required"


def test_allowed_clients_per_source_type(client):
    assert error(post(client, build_request(), who=MALLORY), 403) == (
        "User mallory not in allowed_clients."
    )
    assert error(post(client, build_request(), who=BOB), 403) == (
        "User bob not allowed to operate with compose with source_types=build."
    )
    tag = post(client, {"source": {"type": "tag", "source": "f39-build"}}, who=BOB)
    assert tag.status_code == 200, tag.get_json()
    assert tag.get_json()["source_type"] == 1
    assert post(client, build_request(), who=ROOT).status_code == 200  # admins: anything


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "the request body is not valid JSON"),
        ([1], "the request body must be a JSON object"),
        ({"seconds_to_live": 5}, "Invalid source configuration provided: None"),
        ({"source": {"source": "f39"}}, "Missing type in source configuration"),
        ({"source": {"type": "bogus", "source": "x"}}, "Unknown source type 'bogus'"),
        ({"source": {"type": "tag"}}, "No source provided for tag"),
        ({"source": {"type": "tag", "source": "f39", "modular_koji_tags": ["m"]}},
         "not supported by Conveyor: source.modular_koji_tags"),
        ({"source": {"type": "tag", "source": "f39", "koji_event": "5"}},
         "source.koji_event: expected a koji event id, got '5'"),
        (build_request(source={"type": "build", "builds": NVRS, "koji_event": 5}),
         "source.koji_event: only tag composes read koji at an event"),
        ({"source": {"type": "tag", "source": "f39"}, "multilib_method": ["devel"]},
         "not supported by Conveyor: multilib_method"),
        ({"source": {"type": "tag", "source": "f39"}, "results": ["iso"]},
         "results: Conveyor makes only repository"),
        ({"source": {"type": "tag", "source": "f39"}, "target_dir": "private"},
         "Unknown \"target_dir\" 'private'"),
        ({"source": {"type": "tag", "source": "f39"}, "seconds_to_live": "1h"},
         "Invalid seconds_to_live specified in request: '1h'"),
        ({"source": {"type": "tag", "source": "f39", "packages": "bash"}},
         "packages: expected a list of strings"),
        ({"source": {"type": "tag", "source": "f39"}, "flags": ["explode"]},
         "flags: unknown flag(s) ['explode']"),
        (build_request(builds=["not an nvr"]), "builds: an item contains white space"),
        (build_request(builds=["bash"]), "source: not name-version-release: ['bash']"),
        ({"source": {"type": "module", "source": "eog:main"}},
         "module 'eog:main': no such module build in done or ready"),
        ({"source": {"type": "pulp", "source": "rhel-8"}}, "not allowed to operate"),
    ],
)  # fmt: skip
def test_bad_requests_get_odcs_error_bodies(client, body, message):
    response = post(client, body, who=ALICE)
    status = 403 if "not allowed" in message else 400
    assert message in error(response, status)


# GET


def test_get_one_and_404(client):
    created = post(client, build_request()).get_json()
    assert client.get(f"/api/1/composes/{created['id']}").get_json() == created
    assert error(client.get("/api/1/composes/999"), 404) == "No such compose found."
    assert error(client.get(f"/api/1/composes/{2**64}"), 404) == "No such compose found."


def test_wrong_method_is_405_in_the_same_shape(client):
    response = client.put("/api/1/composes/1", environ_base=ROOT)
    assert error(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}


def _three(client, session_factory):
    ids = [
        post(client, {"source": {"type": "tag", "source": f"f{n}-build"}}).get_json()["id"]
        for n in (38, 39, 40)
    ]
    set_state(session_factory, ids[1], "generating", "done")
    return ids


def test_list_filters_by_odcs_codes_and_names(client, session_factory):
    ids = _three(client, session_factory)

    def listed(query):
        response = client.get(f"/api/1/composes/?{query}")
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert listed("") == sorted(ids, reverse=True)  # ODCS's default order: -id
    assert listed("state=2") == listed("state=done") == listed("state_name=done") == [ids[1]]
    assert listed("state=wait&order_by=id") == [ids[0], ids[2]]
    assert listed("source_type=1") == listed("source_type=tag") == sorted(ids, reverse=True)
    assert listed("source_type=6") == []
    assert listed("source=f40-build") == [ids[2]]
    assert listed("owner=alice&order_by=-state") == [ids[1], ids[2], ids[0]]
    assert listed("koji_task_id=12") == []
    assert "invalid state" in error(client.get("/api/1/composes/?state=9"), 400)
    assert "order_by" in error(client.get("/api/1/composes/?order_by=nope"), 400)
    assert "unknown query parameter" in error(client.get("/api/1/composes/?colour=red"), 400)


def test_pagination_meta_has_odcs_keys(client, session_factory):
    ids = _three(client, session_factory)
    body = client.get("/api/1/composes/?per_page=2&page=2&owner=alice").get_json()
    assert [item["id"] for item in body["items"]] == [ids[0]]
    meta = body["meta"]
    assert (meta["page"], meta["pages"], meta["per_page"], meta["total"]) == (2, 2, 2, 3)
    assert meta["next"] is None
    assert meta["prev"] == "/api/1/composes/?owner=alice&page=1&per_page=2"
    assert meta["first"] == "/api/1/composes/?owner=alice&page=1&per_page=2"
    assert meta["last"] == "/api/1/composes/?owner=alice&page=2&per_page=2"
    assert "per_page: at most 100" in error(client.get("/api/1/composes/?per_page=101"), 400)


# PATCH


def test_patch_renews_a_done_compose(client, session_factory):
    created = post(client, build_request(seconds_to_live=60)).get_json()
    set_state(session_factory, created["id"], "generating", "done")
    url = f"/api/1/composes/{created['id']}"
    renewed = client.patch(url, data=json.dumps({"seconds_to_live": 7200}), environ_base=ALICE)
    assert renewed.status_code == 200, renewed.get_json()
    expires = datetime.fromisoformat(renewed.get_json()["time_to_expire"].removesuffix("Z"))
    assert expires - utcnow() > timedelta(minutes=119)
    assert renewed.get_json()["state_name"] == "done"


def test_patch_regenerates_a_removed_compose_with_the_same_id(client, session_factory):
    created = post(client, build_request()).get_json()
    set_state(session_factory, created["id"], "generating", "done", "removed")
    url = f"/api/1/composes/{created['id']}"
    response = client.patch(url, environ_base=ALICE)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["id"], body["state_name"], body["builds"]) == (
        created["id"],
        "wait",
        " ".join(NVRS),
    )
    assert state_of(session_factory, created["id"]) == "wait"


def test_patch_refusals(client, session_factory):
    created = post(client, build_request()).get_json()
    url = f"/api/1/composes/{created['id']}"
    assert error(client.patch(url, environ_base={}), 401)
    assert "not allowed to operate" in error(client.patch(url, environ_base=BOB), 403)
    assert error(client.patch("/api/1/composes/404", environ_base=ALICE), 404)
    changed = client.patch(url, data=json.dumps({"label": "x"}), environ_base=ALICE)
    assert "a compose keeps its label" in error(changed, 400)
    other = client.patch(url, data=json.dumps({"sigkeys": ["abc"]}), environ_base=ALICE)
    assert "only seconds_to_live (and the same label)" in error(other, 400)
    with session_factory.begin() as session:
        seen = Compose(origin="pungi", external_id="F-1", owner="pungi",
                       source_type="pungi_compose", source="F-1")  # fmt: skip
        record(session, seen, cause="test")
        seen_id = seen.id
    assert "made by pungi" in error(
        client.patch(f"/api/1/composes/{seen_id}", environ_base=ROOT), 400
    )


# DELETE


def test_owner_cancels_a_waiting_compose(client, session_factory):
    created = post(client, build_request()).get_json()
    url = f"/api/1/composes/{created['id']}"
    other = client.delete(url, environ_base={"REMOTE_USER": "carol"})
    assert "owned by someone else" in error(other, 403)
    response = client.delete(url, environ_base=ALICE)
    assert response.status_code == 202
    assert response.get_json() == {
        "status": 202,
        "message": f"Compose (id={created['id']}) has been canceled",
    }
    with session_factory() as session:
        compose = session.get(Compose, created["id"])
        assert (compose.state, compose.state_reason) == ("failed", "Canceled by alice")


def test_only_admins_delete_a_done_compose(client, session_factory):
    created = post(client, build_request()).get_json()
    set_state(session_factory, created["id"], "generating", "done")
    url = f"/api/1/composes/{created['id']}"
    assert error(client.delete(url, environ_base=ALICE), 403) == "User alice is not in role admins."
    response = client.delete(url, environ_base=ROOT)
    assert response.status_code == 202
    assert (
        "has been accepted and will be processed by backend later"
        in (response.get_json()["message"])
    )
    with session_factory() as session:
        compose = session.get(Compose, created["id"])
        assert (compose.state, compose.removed_by) == ("removed", "root")
    assert error(client.delete("/api/1/composes/404", environ_base=ROOT), 404)


def test_a_generating_compose_cannot_be_deleted(client, session_factory):
    created = post(client, build_request()).get_json()
    set_state(session_factory, created["id"], "generating")
    response = client.delete(f"/api/1/composes/{created['id']}", environ_base=ROOT)
    assert "only done or failed composes can be deleted" in error(response, 400)
    assert state_of(session_factory, created["id"]) == "generating"
