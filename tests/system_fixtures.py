"""Fixtures for running the whole system in one test process: the five services on a fresh vhost of the real broker,
the gateway app driven through Flask's test client (one RPC hop per request, as in production)."""
import re

import pytest

from emss_common.config import Settings
from gateway.app import create_app
from registry.service import RegistryService
from tasks.service import TasksService
from fieldrecords.service import FieldRecordsService
from confirmation.service import ConfirmationService
from credit.service import CreditService
from tests.waiting import PATIENCE


ALL_SERVICES = (RegistryService, TasksService, FieldRecordsService, ConfirmationService, CreditService)


def make_gateway(service_config, health_timeout=3.0):
    settings = Settings.from_env({"AMQP_URI": service_config["AMQP_URI"],
                                  "EMSS_SECRET_KEY": "test-secret",
                                  # a slow answer on a busy machine is not a failure here
                                  "EMSS_RPC_TIMEOUT": str(PATIENCE)})
    app = create_app(settings, health_timeout=health_timeout)
    app.config["TESTING"] = True
    return app


# A Monday. Every service runs on a frozen clock; `clock.set(...)` moves them all together.
NOW = "2026-11-23T10:00:00+08:00"


@pytest.fixture
def now():
    return NOW


class Clocks:
    def __init__(self, containers):
        self.clocks = [d.clock for c in containers for d in c.dependencies if type(d).__name__ == "Clock"]

    def set(self, at):
        for clock in self.clocks:
            clock.set(at)


@pytest.fixture
def system_containers(container_factory, service_config, now):
    # Journeys move the frozen clock across days; a session must outlive that (every request asks
    # the registry, which judges expiry on that clock).
    config = {**service_config, "EMSS_FROZEN_NOW": now, "EMSS_SESSION_HOURS": "2160"}
    containers = [container_factory(cls, config) for cls in ALL_SERVICES]
    for container in containers:
        container.start()
    return containers


@pytest.fixture
def clock(system_containers):
    return Clocks(system_containers)


@pytest.fixture
def system(system_containers, service_config):
    app = make_gateway(service_config)
    yield app
    for pool in app.extensions["emss_pools"]:
        pool.close()


@pytest.fixture
def client(system):
    return system.test_client()


class Api:
    """A logged-in API user: JSON in, (status, JSON) out."""

    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def call(self, method, path, json=None, query=None):
        resp = self.client.open(f"/api/v1{path}", method=method, json=json, query_string=query,
                                headers=self._headers())
        return resp.status_code, resp.get_json()

    def get(self, path, **query):
        return self.call("GET", path, query=query)

    def post(self, path, json=None):
        return self.call("POST", path, json=json if json is not None else {})

    def put(self, path, json=None):
        return self.call("PUT", path, json=json)

    def delete(self, path):
        return self.call("DELETE", path)


@pytest.fixture
def login(client):
    def _login(username, password):
        status, body = Api(client).post("/auth/login", {"username": username, "password": password})
        assert status == 200, body
        return Api(client, body["token"])
    return _login


@pytest.fixture
def anonymous(client):
    return Api(client)


def portal_login(client, username, password, next=None):
    """Sign a test browser in with the password form, as a person does: open the login page (its
    form token and the nonce cookie it is tied to), then post the form."""
    path = "/login" + (f"?next={next}" if next else "")
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(path, data={"username": username, "password": password, "csrf_token": token})
