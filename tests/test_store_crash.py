"""kill -9 of the store server mid-run loses no acknowledged write (deploy/secantusd.toml:
sync_on_commit), and every service that was answering answers again by itself once the server is back
(pymongo reconnects; nothing is restarted by hand)."""
import threading

import pymongo
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from emss_common.storeserver import StoreServer, free_port
from tests.waiting import PATIENCE, eventually


@pytest.fixture
def own_store(tmp_path):
    """A store server of this test alone (the session's must not be killed)."""
    server = StoreServer(str(tmp_path / "data"), port=free_port(), log_path=str(tmp_path / "store.log")).start()
    yield server
    server.stop()


def test_every_acknowledged_write_survives_kill_9(own_store):
    client = pymongo.MongoClient(own_store.uri, serverSelectionTimeoutMS=2000)
    col = client["emss_crash"]["facts"]
    col.create_index("n", unique=True)
    acknowledged, started = [], threading.Event()

    def write():
        n = 0
        while True:
            try:
                col.insert_one({"n": n, "body": "x" * 500})
            except pymongo.errors.PyMongoError:
                return   # the server went away: what was acknowledged is in the list
            acknowledged.append(n)
            n += 1
            if n == 200:
                started.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert started.wait(60), "the writer never got going"
    own_store.kill()                     # SIGKILL while the writer is writing
    writer.join(30)
    assert not writer.is_alive()
    client.close()

    own_store.start()                    # the same storage directory
    again = pymongo.MongoClient(own_store.uri)["emss_crash"]["facts"]
    kept = {d["n"] for d in again.find({}, {"n": 1})}
    lost = [n for n in acknowledged if n not in kept]
    assert len(acknowledged) >= 200 and lost == []


def test_every_service_answers_again_by_itself_when_the_store_comes_back(container_factory, service_config,
                                                                          own_store):
    from tests.system_fixtures import ALL_SERVICES
    config = {**service_config, "MONGO_URI": own_store.uri}
    for cls in ALL_SERVICES:
        container_factory(cls, config).start()
    names = [cls.name for cls in ALL_SERVICES]
    with ClusterRpcProxy(config, timeout=PATIENCE) as rpc:
        for name in names:
            assert getattr(rpc, name).health()["status"] == "ok"
        own_store.kill()
        with pytest.raises(Exception):   # while the store is away a service says it is not healthy
            rpc.registry.health()
        own_store.start()

        def healthy_again(name):
            assert getattr(rpc, name).health()["status"] == "ok"
        for name in names:
            eventually(lambda: healthy_again(name))
        # and real work again: a login writes its session
        assert rpc.registry.login({"username": "admin", "password": config["EMSS_ADMIN_PASSWORD"]})["actor"]
