"""The real ODCS client library (PyPI ``odcs``) drives Conveyor's ODCS-compatible API unchanged.

``odcs.client.odcs.ODCS`` is what ODCS's own tooling uses; here it talks to
``create_app`` served over real HTTP on loopback, authenticated the way ODCS
deployments do it (an OpenIDC bearer token).
"""

from __future__ import annotations

import pytest
from odcs.client.odcs import ODCS, AuthMech, ComposeSourceBuild, ComposeSourceTag
from requests import HTTPError

from api.app import create_app
from conveyor.settings import parse
from tests.wsgi import serve

TOKEN = "oidc-token-of-alice"
BUILDS = ["bash-5.2-1.fc39", "zsh-5.9-5.fc39"]


@pytest.fixture
def odcs_url(session_factory):
    settings = parse(
        {
            "api": {"token": TOKEN, "token_user": "alice", "admins": ["alice"]},
            "odcs": {"allowed_clients": {"users": {"alice": {"source_types": ["tag", "build"]}}}},
        },
        env={},
    )
    with serve(create_app(settings, session_factory)) as base:
        yield base


def client(url: str, token: str = TOKEN) -> ODCS:
    return ODCS(url, auth_mech=AuthMech.OpenIDC, openidc_token=token)


def test_about_and_a_build_compose_round_trip(odcs_url):
    odcs = client(odcs_url)
    about = odcs.about()
    assert about["version"] and "allowed_clients" in about
    compose = odcs.request_compose(ComposeSourceBuild(BUILDS, sigkeys=[""]), arches=["x86_64"])
    assert (compose["state_name"], compose["state"], compose["owner"]) == ("wait", 0, "alice")
    assert compose["source_type"] == 6 and set(compose["builds"].split()) == set(BUILDS)
    assert odcs.get_compose(compose["id"])["id"] == compose["id"]
    found = odcs.find_composes(state="wait", source_type="build")
    assert [c["id"] for c in found["items"]] == [compose["id"]]
    assert found["meta"]["total"] == 1


def test_tag_compose_renew_and_delete(odcs_url):
    odcs = client(odcs_url)
    source = ComposeSourceTag("f39-updates", packages=["bash"], koji_event=1234)
    compose = odcs.request_compose(source, seconds_to_live=3600, flags=["no_deps"])
    assert compose["source"] == "f39-updates" and compose["packages"] == "bash"
    assert compose["koji_event"] == 1234 and compose["flags"] == ["no_deps"]
    before = compose["time_to_expire"]
    renewed = odcs.renew_compose(compose["id"], seconds_to_live=7200)
    assert renewed["id"] == compose["id"] and renewed["time_to_expire"] > before
    odcs.delete_compose(compose["id"])
    assert odcs.get_compose(compose["id"])["state_name"] in ("failed", "removed")


def test_a_wrong_token_is_refused(odcs_url):
    with pytest.raises(HTTPError) as refused:
        client(odcs_url, token="not-the-token").request_compose(ComposeSourceBuild(BUILDS))
    assert refused.value.response.status_code == 401
