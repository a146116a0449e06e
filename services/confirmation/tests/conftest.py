"""The confirmation service alone on the real broker, fed fieldrecords' facts as events (as in
production), its emitted events watched on the bus, its clock movable."""
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from confirmation.service import ConfirmationService
from tests.bus import EventTap
from tests.bus import EventFeed
from tests.waiting import PATIENCE


NOW = "2026-11-23T10:00:00+08:00"

@pytest.fixture
def conf_config(service_config, request):
    """A test may slow the overdue sweep down: @pytest.mark.parametrize("conf_config", [{"sweep": 3600}],
    indirect=True)."""
    sweep = getattr(request, "param", {}).get("sweep", 0.2)
    return {**service_config, "EMSS_FROZEN_NOW": NOW, "EMSS_CONFIRMATION_SWEEP_SECONDS": sweep}


@pytest.fixture
def container(container_factory, conf_config):
    c = container_factory(ConfirmationService, conf_config)
    c.start()
    return c


@pytest.fixture
def confirmation(container, conf_config):
    with ServiceRpcProxy("confirmation", conf_config, timeout=PATIENCE) as proxy:
        yield proxy


@pytest.fixture
def clock(container):
    return next(d.clock for d in container.dependencies if type(d).__name__ == "Clock")


Feed = EventFeed



@pytest.fixture
def feed(conf_config, confirmation):
    return Feed(conf_config)


@pytest.fixture
def bus(conf_config, container):
    with EventTap(conf_config["AMQP_URI"], "confirmation") as tap:
        yield tap
