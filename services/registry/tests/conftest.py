"""Fixtures for the registry's service tests: a RegistryService container on the real broker with
a frozen clock, an RPC proxy to it, a tap on its events exchange, and a helper that walks an
institution through its filing."""
import itertools

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from registry.service import RegistryService
from tests import builders as b
from tests.bus import EventTap
from tests.waiting import PATIENCE

ADMIN_PASSWORD = "Admin#Test2026"
PASSWORD = "Field#Pass2026"
# A Monday in an ordinary week; every date in the builders is valid on it.
NOW = "2026-06-15T10:00:00+08:00"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Still argon2, with the cheapest parameters: production's cost makes every login ~0.15 s."""
    from argon2 import PasswordHasher
    from registry.usecases import accounts
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def now():
    """The registry's frozen "now"; a test module overrides this fixture to choose another."""
    return NOW


@pytest.fixture
def registry_config(service_config, now):
    return {**service_config, "EMSS_FROZEN_NOW": now}


@pytest.fixture
def events(registry_config):
    """Every event the registry publishes from now on, read from its topic exchange."""
    tap = EventTap(registry_config["AMQP_URI"], "registry")
    yield tap
    tap.close()


@pytest.fixture
def registry_container(container_factory, registry_config, events):
    container = container_factory(RegistryService, registry_config)
    container.start()
    return container


@pytest.fixture
def registry(registry_container, registry_config):
    with ServiceRpcProxy("registry", registry_config, timeout=PATIENCE) as proxy:
        yield proxy


@pytest.fixture
def clock(registry_container):
    """The running service's FrozenClock, to move time during a test."""
    provider = next(d for d in registry_container.dependencies if type(d).__name__ == "Clock")
    return provider.clock


@pytest.fixture
def admin(registry):
    return registry.login({"username": "admin", "password": ADMIN_PASSWORD})["actor"]


@pytest.fixture
def flow(registry, admin):
    return Flow(registry, admin)


_names = itertools.count(1)


class Flow:
    """Walks institutions through their filing with realistic data from tests/builders.py."""

    def __init__(self, registry, admin):
        self.registry = registry
        self.admin = admin

    def login(self, username, password=PASSWORD):
        return self.registry.login({"username": username, "password": password})["actor"]

    def regulator(self, district="浦东新区", username=None):
        username = username or f"reg{next(_names):04d}"
        self.registry.create_regulator(self.admin, {**b.account(username, name="监管员"),
                                                    "district": district})
        return self.login(username)

    def register(self, type_="om", district="浦东新区", name=None, username=None, **overrides):
        n = next(_names)
        username = username or f"inst{n:04d}"
        body = b.institution(name=name or f"上海第{n}环境运维有限公司", type_=type_, district=district)
        body.update(overrides)
        out = self.registry.register_institution({"institution": body,
                                                  "account": b.account(username)})
        return out["institution"], self.login(username)

    def act(self, actor, inst_id, action, reason=None):
        payload = {"action": action}
        if reason is not None:
            payload["reason"] = reason
        return self.registry.transition_institution(actor, inst_id, payload)

    def second_stage(self, actor, inst_id, om_valid_until="2028-12-31"):
        add = self.registry.add_institution_item
        add(actor, inst_id, "staff", b.staff("赵强", "om_staff", om_valid_until, n=1))
        add(actor, inst_id, "staff", b.staff("钱技", "technical_lead", n=2))
        add(actor, inst_id, "staff", b.staff("孙质", "quality_lead", n=3))
        add(actor, inst_id, "equipment", b.equipment())
        add(actor, inst_id, "vehicles", b.vehicle(leased=True))
        return add(actor, inst_id, "spare_parts", b.spare_part())

    def first_approved(self, regulator, **kw):
        inst, actor = self.register(**kw)
        self.act(actor, inst["id"], "submit")
        self.act(regulator, inst["id"], "approve_first")
        return inst, actor

    def approved(self, regulator, **kw):
        inst, actor = self.first_approved(regulator, **kw)
        self.second_stage(actor, inst["id"])
        self.act(actor, inst["id"], "submit_second")
        self.act(regulator, inst["id"], "approve_second")
        return inst, actor

    def published(self, regulator, **kw):
        inst, actor = self.approved(regulator, **kw)
        return self.act(regulator, inst["id"], "publish"), actor
