"""A tasks service that starts after the registry already holds facts catches up from the
registry's export instead of waiting for events it never received."""
from nameko.standalone.rpc import ClusterRpcProxy

from registry.service import RegistryService
from tasks.service import TasksService
from tests import builders as b
from tests.waiting import PATIENCE, eventually


def test_a_late_tasks_service_copies_existing_registry_facts(container_factory, service_config):
    # Rounds every 5 s: a first round that could not finish (registry slow to answer on a busy
    # machine) is retried within the wait below, as the minute's round would be in production.
    config = {**service_config, "EMSS_FROZEN_NOW": "2026-11-23T10:00:00+08:00", "EMSS_RECONCILE_SECONDS": "5"}
    container_factory(RegistryService, config).start()
    with ClusterRpcProxy(config, timeout=PATIENCE) as rpc:
        out = rpc.registry.register_enterprise({"enterprise": b.enterprise(), "account": b.account("late_ent")})
        actor = rpc.registry.login({"username": "late_ent", "password": "Field#Pass2026"})["actor"]
        outlet = rpc.registry.add_outlet(actor, out["enterprise"]["id"], b.outlet())

        tasks = container_factory(TasksService, config)
        tasks.start()   # its queues did not exist when those events were published
        db = next(d for d in tasks.dependencies if type(d).__name__ == "Store").db

        def copied():
            assert db["enterprises"].find_one({"id": out["enterprise"]["id"]}) is not None
            # enterprises are copied before outlets: "no outlet yet" is a failed assertion, to wait on
            copy = db["outlets"].find_one({"id": outlet["id"]})
            assert copy is not None and copy["kind"] == "wastewater", copy
        # the first round runs as the service starts; on a busy machine a round may time out on an RPC
        # (30 s) and the next one finish the work
        eventually(copied, timeout=5 * PATIENCE)



def test_a_late_confirmation_service_copies_records_already_submitted(container_factory, service_config):
    """Records filed before the confirmation service's queues existed still reach the enterprise."""
    from confirmation.service import ConfirmationService
    from fieldrecords.service import FieldRecordsService
    from services.fieldrecords.tests import conftest as fr
    from services.fieldrecords.tests.test_service_records import start, submit, work_photo
    config = {**service_config, "EMSS_FROZEN_NOW": fr.NOW, "EMSS_RECONCILE_SECONDS": "5"}  # as above
    container_factory(FieldRecordsService, config).start()
    with ClusterRpcProxy(config, timeout=PATIENCE) as rpc:
        fr.seed_facts(fr.Feed(config), rpc.fieldrecords)
        record = start(rpc.fieldrecords)
        work_photo(rpc.fieldrecords, record["id"])
        submit(rpc.fieldrecords, record["id"])

        confirmation = container_factory(ConfirmationService, config)
        confirmation.start()   # record.submitted was published before its queue existed

        def copied():
            listed = rpc.confirmation.list_records(fr.ENTERPRISE, {})
            assert [r["id"] for r in listed["items"]] == [record["id"]], listed
        eventually(copied, timeout=5 * PATIENCE)
