"""Root test configuration: eventlet first (nameko hangs otherwise), then shared fixtures.

Every store test speaks pymongo over the wire: to a real MongoDB when MONGO_URI is set, else to a
SecantusDB server this session starts on a free port and a temporary directory. Each test gets its
own database names (suffix) and drops them afterwards.
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


_session_store = None


def pytest_configure(config):
    """The session's store server, unless MONGO_URI names one (a real MongoDB)."""
    global _session_store
    if os.environ.get("MONGO_URI"):
        return
    import tempfile
    from emss_common.storeserver import StoreServer, free_port
    where = tempfile.mkdtemp(prefix="emss-test-store-")
    _session_store = StoreServer(os.path.join(where, "data"), port=free_port(),
                                 log_path=os.path.join(where, "store.log")).start()
    os.environ["MONGO_URI"] = _session_store.uri


def pytest_unconfigure(config):
    global _session_store
    if _session_store is not None:
        import shutil
        _session_store.stop()
        shutil.rmtree(os.path.dirname(_session_store.storage_path), ignore_errors=True)
        os.environ.pop("MONGO_URI", None)
        _session_store = None


@pytest.fixture
def store_config():
    """Config naming the test store, with database names of this test's own, dropped afterwards."""
    uri = os.environ["MONGO_URI"]
    suffix = "_t" + uuid.uuid4().hex[:8]
    yield {"EMSS_DATA_DIR": ":memory:", "MONGO_URI": uri, "EMSS_DB_SUFFIX": suffix}
    from emss_common.store import client_for
    client = client_for(uri)
    for name in SERVICES:
        client.drop_database(f"emss_{name}{suffix}")


@pytest.fixture
def service_config(rabbit_config, store_config):
    """A nameko config on a fresh vhost of the real broker, with an isolated store."""
    return {**rabbit_config, **store_config, "serializer": "json",
            "EMSS_ADMIN_USERNAME": "admin", "EMSS_ADMIN_PASSWORD": ADMIN_PASSWORD}

# The whole-system fixtures (system, client, login, anonymous) for e2e and gateway tests.
pytest_plugins = ["tests.system_fixtures"]
