"""The tasks service alone on the real broker, fed registry facts as events (as in production)."""
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy

from emss_common.events import make_event
from tasks.service import TasksService

NOW = "2026-11-23T10:00:00+08:00"


@pytest.fixture
def tasks_config(service_config):
    return {**service_config, "EMSS_FROZEN_NOW": NOW}


@pytest.fixture
def tasks(container_factory, tasks_config):
    container = container_factory(TasksService, tasks_config)
    container.start()
    with ServiceRpcProxy("tasks", tasks_config, timeout=15) as proxy:
        yield proxy


class Feed:
    """Publishes events as another service would, and waits until the tasks service saw them."""

    def __init__(self, config):
        self.dispatch = event_dispatcher(config)

    def send(self, source, type_, subject, data, event=None):
        event = event or make_event(type_, source, subject, data)
        self.dispatch(source, type_, event)
        return event


@pytest.fixture
def feed(tasks_config, tasks):
    return Feed(tasks_config)
