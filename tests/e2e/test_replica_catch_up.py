"""A tasks service that starts after the registry already holds facts catches up from the
registry's export instead of waiting for events it never received."""
from nameko.standalone.rpc import ClusterRpcProxy

from registry.service import RegistryService
from tasks.service import TasksService
from tests import builders as b
from tests.waiting import eventually


def test_a_late_tasks_service_copies_existing_registry_facts(container_factory, service_config):
    config = {**service_config, "EMSS_FROZEN_NOW": "2026-11-23T10:00:00+08:00"}
    container_factory(RegistryService, config).start()
    with ClusterRpcProxy(config, timeout=15) as rpc:
        out = rpc.registry.register_enterprise({"enterprise": b.enterprise(), "account": b.account("late_ent")})
        actor = rpc.registry.login({"username": "late_ent", "password": "Field#Pass2026"})["actor"]
        outlet = rpc.registry.add_outlet(actor, out["enterprise"]["id"], b.outlet())

        tasks = container_factory(TasksService, config)
        tasks.start()   # its queues did not exist when those events were published
        db = next(d for d in tasks.dependencies if type(d).__name__ == "Store").db

        def copied():
            assert db["enterprises"].find_one({"id": out["enterprise"]["id"]}) is not None
            assert db["outlets"].find_one({"id": outlet["id"]})["kind"] == "wastewater"
        eventually(copied)

