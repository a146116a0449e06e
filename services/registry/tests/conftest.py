"""Fixtures for the registry's service tests: a RegistryService container on the real broker with
a frozen clock, an RPC proxy to it, a tap on its events exchange, and a helper that walks an
institution through its filing."""
import itertools
import uuid

import eventlet
import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ServiceRpcProxy

from registry.service import RegistryService
from tests import builders as b

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
    tap = EventTap(registry_config["AMQP_URI"], registry_config)
    yield tap
    tap.close()


@pytest.fixture
def registry_container(container_factory, registry_config, events):
    container = container_factory(RegistryService, registry_config)
    container.start()
    return container


@pytest.fixture
def registry(registry_container, registry_config):
    with ServiceRpcProxy("registry", registry_config, timeout=15) as proxy:
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


class EventTap:
    """A private queue bound to `registry.events` with '#': sees every event, in order."""

    def __init__(self, amqp_uri, config):
        self.conn = Connection(amqp_uri)
        self.channel = self.conn.channel()
        exchange = get_event_exchange("registry", config)
        self.queue = Queue(f"test-tap-{uuid.uuid4().hex}", exchange=exchange, routing_key="#",
                           exclusive=True, auto_delete=True)(self.channel)
        self.queue.declare()
        self.seen = []

    def collect(self):
        while True:
            message = self.queue.get(no_ack=True)
            if message is None:
                return self.seen
            self.seen.append(message.payload)

    def of(self, type_, subject=None):
        return [e for e in self.collect()
                if e["type"] == type_ and (subject is None or e["subject"] == subject)]

    def wait_for(self, type_, subject=None, timeout=5.0):
        """The first event of this type (and subject); polls the queue, does not sleep blindly."""
        deadline = eventlet.hubs.get_hub().clock() + timeout
        while True:
            found = self.of(type_, subject)
            if found:
                return found[0]
            if eventlet.hubs.get_hub().clock() > deadline:
                raise AssertionError(f"no {type_} event for {subject}; saw "
                                     f"{[e['type'] for e in self.seen]}")
            eventlet.sleep(0.01)

    def types(self, subject=None):
        return [e["type"] for e in self.collect() if subject is None or e["subject"] == subject]

    def close(self):
        try:
            self.queue.delete()
        except Exception:  # noqa: BLE001 - the vhost may already be gone
            pass
        self.conn.release()


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
