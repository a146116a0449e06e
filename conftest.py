"""Root test configuration: eventlet first (nameko hangs otherwise), then shared fixtures.

Store tests run on the embedded engine, or on a real MongoDB when MONGO_URI is set: each test
then gets its own database names (suffix) and drops them afterwards.
"""
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))

from emss_common.config import SERVICES  # noqa: E402

ADMIN_PASSWORD = "Admin#Test2026"


@pytest.fixture
def store_config():
    """Config that selects the store: MongoDB if MONGO_URI is set, embedded memory otherwise."""
    cfg = {"EMSS_DATA_DIR": ":memory:"}
    uri = os.environ.get("MONGO_URI")
    suffix = "_t" + uuid.uuid4().hex[:8]
    if uri:
        cfg.update(MONGO_URI=uri, EMSS_DB_SUFFIX=suffix)
    yield cfg
    if uri:
        import pymongo
        client = pymongo.MongoClient(uri)
        for name in SERVICES:
            client.drop_database(f"emss_{name}{suffix}")
        client.close()


@pytest.fixture
def service_config(rabbit_config, store_config):
    """A nameko config on a fresh vhost of the real broker, with an isolated store."""
    return {**rabbit_config, **store_config, "serializer": "json",
            "EMSS_ADMIN_USERNAME": "admin", "EMSS_ADMIN_PASSWORD": ADMIN_PASSWORD}

# The whole-system fixtures (system, client, login, anonymous) for e2e and gateway tests.
pytest_plugins = ["tests.system_fixtures"]
