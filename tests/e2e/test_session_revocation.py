"""A session that ends, ends in every gateway process at once (issue 10, defect 2).

Two gateway processes (two apps, each with its own session cache and its own revocation
listener) share one registry. Writes are refused on the very next request; reads are refused as
soon as the registry's broadcast reaches the other process (event-based: polled, never slept)."""
import pytest

from tests import builders as b
from tests.system_fixtures import Api, make_gateway
from tests.waiting import PATIENCE, eventually

PASSWORD = "Field#Pass2026"


@pytest.fixture(autouse=True)
def cache_outlives_the_wait(monkeypatch):
    # The cache's TTL is only a backstop; kept far longer than the waits below, a session that
    # ends can only have ended by the registry's broadcast, however busy the machine is.
    monkeypatch.setenv("EMSS_SESSION_CACHE_SECONDS", str(10 * PATIENCE))


@pytest.fixture
def other_gateway(system, service_config):
    app = make_gateway(service_config)
    yield app
    for pool in app.extensions["emss_pools"]:
        pool.close()


def _live(*apps):
    """Both processes are caching (their listeners are bound), so a cache could serve a stale actor."""
    def check():
        for app in apps:
            assert app.extensions["emss_sessions"].live
    eventually(check)


def _login(app, username, password=PASSWORD):
    status, body = Api(app.test_client()).post("/auth/login", {"username": username, "password": password})
    assert status == 200, body
    return Api(app.test_client(), body["token"])


@pytest.fixture
def reviewer_world(system, other_gateway, anonymous):
    status, out = anonymous.post("/institutions", {"institution": b.institution(),
                                                   "account": b.account("rev_inst")})
    assert status == 201, out
    admin = _login(system, "rev_inst")
    status, reviewer = admin.post("/sub-accounts", {**b.account("rev_one", name="审核员"),
                                                    "roles": ["reviewer"]})
    assert status == 201, reviewer
    _live(system, other_gateway)
    return admin, reviewer


def _refused_write(api):
    # Any authenticated write: an active session gets 400 (wrong old password), an ended one 401.
    return api.post("/auth/password", {"old_password": "Wrong#Pass2026", "new_password": "New#Pass20261"})


def test_disabling_a_sub_account_ends_its_session_in_every_gateway_process(system, other_gateway, reviewer_world):
    admin, reviewer = reviewer_world
    elsewhere = _login(other_gateway, "rev_one")
    assert elsewhere.get("/auth/me")[0] == 200  # now cached in the other process
    assert _refused_write(elsewhere)[0] == 400

    status, body = admin.post(f"/sub-accounts/{reviewer['id']}/disable")
    assert status == 200, body

    assert _refused_write(elsewhere)[0] == 401  # the very next write, no waiting
    eventually(lambda: _assert_status(elsewhere.get("/auth/me"), 401))


def test_a_changed_password_ends_the_other_sessions_in_every_gateway_process(system, other_gateway, reviewer_world):
    phone = _login(other_gateway, "rev_one")
    desk = _login(system, "rev_one")
    assert phone.get("/auth/me")[0] == 200

    status, body = desk.post("/auth/password", {"old_password": PASSWORD, "new_password": "New#Pass20261"})
    assert status == 200, body

    assert _refused_write(phone)[0] == 401
    eventually(lambda: _assert_status(phone.get("/auth/me"), 401))


def test_logging_out_in_one_process_ends_the_token_in_the_others(system, other_gateway, reviewer_world):
    token = _login(system, "rev_one").token
    here, there = Api(system.test_client(), token), Api(other_gateway.test_client(), token)
    assert there.get("/auth/me")[0] == 200

    assert here.post("/auth/logout")[0] == 200

    eventually(lambda: _assert_status(there.get("/auth/me"), 401))


def _assert_status(result, expected):
    status, body = result
    assert status == expected, body
