"""Run one EMSS service: `python -m emss_common.launch registry`.

Checks the broker first and says how to start it, serves /metrics, stops cleanly on SIGINT/SIGTERM.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (nameko needs it before anything imports sockets)

import importlib
import logging
import signal
import sys

from prometheus_client import start_http_server

from .broker import start_process
from .config import SERVICES, metrics_port

SERVICE_CLASSES = {
    "registry": "registry.service:RegistryService",
    "tasks": "tasks.service:TasksService",
    "fieldrecords": "fieldrecords.service:FieldRecordsService",
    "confirmation": "confirmation.service:ConfirmationService",
    "credit": "credit.service:CreditService",
}


def service_class(name):
    module, cls = SERVICE_CLASSES[name].split(":")
    return getattr(importlib.import_module(module), cls)


def wait_for_store(settings, seconds=None):
    """A service starts only once its store answers (under `make run` it already does); it waits a
    while for one that is starting, then says what to do instead of a traceback."""
    import os
    import time
    from .storeserver import answers
    seconds = float(os.environ.get("EMSS_STORE_WAIT_SECONDS", "30")) if seconds is None else seconds
    deadline = time.monotonic() + seconds
    while not answers(settings.mongo_uri, timeout=2):
        if time.monotonic() >= deadline:
            where = settings.mongo_uri.split("@")[-1]
            hint = ("`make run` starts the embedded store server there (or set MONGO_URI to a MongoDB)"
                    if settings.embedded_store else "check MONGO_URI and that MongoDB runs")
            print(f"The store is not reachable at {where}: {hint}.", file=sys.stderr)
            return 4
        time.sleep(0.5)
    return None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in SERVICES:
        print(f"usage: python -m emss_common.launch <{'|'.join(SERVICES)}>", file=sys.stderr)
        return 2
    name = argv[0]
    settings, failed = start_process(name)
    if failed:
        return failed
    failed = wait_for_store(settings)
    if failed:
        return failed

    from nameko.runners import ServiceRunner

    runner = ServiceRunner(settings.nameko_config(name))
    runner.add_service(service_class(name))
    port = metrics_port(name)
    start_http_server(port, addr="0.0.0.0" if settings.gateway_host == "0.0.0.0" else "127.0.0.1")

    stopping = []

    def shutdown(signum, frame):
        if not stopping:  # a second signal must not stop the runner twice
            stopping.append(signum)
            eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    logging.getLogger(name).info("started; metrics on :%s", port)
    runner.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
