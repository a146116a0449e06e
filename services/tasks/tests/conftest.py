"""The tasks service alone on the real broker, fed registry facts as events (as in production)."""
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from tasks.service import TasksService
from tests.bus import EventFeed
from tests.waiting import PATIENCE

NOW = "2026-11-23T10:00:00+08:00"


@pytest.fixture
def tasks_config(service_config):
    return {**service_config, "EMSS_FROZEN_NOW": NOW}


@pytest.fixture
def tasks(container_factory, tasks_config):
    container = container_factory(TasksService, tasks_config)
    container.start()
    with ServiceRpcProxy("tasks", tasks_config, timeout=PATIENCE) as proxy:
        yield proxy


Feed = EventFeed



@pytest.fixture
def feed(tasks_config, tasks):
    return Feed(tasks_config)
