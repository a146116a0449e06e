"""A service with no running process is shown as down at once: its API routes answer 503 naming it,
its pages show an error page, /healthz lists it; other services keep working, and once a process of
it runs again everything answers again without restarting the gateway. (Before, every such request
waited the whole RPC timeout and then said 504.)"""
from tasks.service import TasksService

from tests.system_fixtures import make_gateway
from tests.waiting import eventually


def _stop(containers, name):
    container = next(c for c in containers if c.service_name == name)
    container.stop()


def test_a_stopped_service_answers_503_at_once_and_comes_back_by_itself(
        system_containers, service_config, container_factory):
    app = make_gateway(service_config)   # RPC timeout 15 s: a wait for it would end in 504
    client = app.test_client()
    try:
        login = client.post("/api/v1/auth/login", json={"username": "admin",
                                                        "password": service_config["EMSS_ADMIN_PASSWORD"]})
        auth = {"Authorization": f"Bearer {login.get_json()['token']}"}
        assert client.get("/api/v1/contracts", headers=auth).status_code == 200

        _stop(system_containers, "tasks")

        def api_says_down():
            resp = client.get("/api/v1/contracts", headers=auth)
            assert resp.status_code == 503, resp.get_json()
            return resp
        resp = eventually(api_says_down)
        assert resp.get_json() == {"error": {"code": "service_unavailable", "field": None,
                                             "message": "合同与任务服务（tasks）暂不可用，请稍后重试"}}
        assert resp.headers["Retry-After"]

        page = client.get("/portal/tasks/om", headers={**auth, "Accept": "text/html"})
        assert page.status_code == 503
        assert "合同与任务服务（tasks）暂不可用" in page.get_data(as_text=True)

        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["down"] == ["tasks"]
        assert health.get_json()["checks"]["tasks"] == "down"
        # the others still work
        assert client.get("/api/v1/institutions", headers=auth).status_code == 200

        container_factory(TasksService, {**service_config, "EMSS_FROZEN_NOW": "2026-11-23T10:00:00+08:00"}).start()

        def back():
            assert client.get("/api/v1/contracts", headers=auth).status_code == 200
            assert client.get("/healthz").status_code == 200
        eventually(back)
    finally:
        for pool in app.extensions["emss_pools"]:
            pool.close()


def test_a_service_never_started_is_down_and_an_unreachable_broker_gives_no_verdict(rabbit_config):
    from gateway.rpc import Liveness
    liveness = Liveness(rabbit_config["AMQP_URI"])
    try:
        assert liveness.consumers("tasks") == 0 and liveness.is_down("tasks")
    finally:
        liveness.close()
    unreachable = Liveness("amqp://guest:guest@127.0.0.1:1/", timeout=1)
    # no verdict: the call goes ahead and fails on its own, rather than a false "down"
    assert unreachable.consumers("tasks") is None and not unreachable.is_down("tasks")


class Counts:
    """A fake broker's answers to the consumer-count question, one per ask, on a fake clock."""

    def __init__(self, *answers):
        self.answers, self.now = list(answers), 0.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds

    def ask(self, service):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def liveness_on(counts):
    from gateway.rpc import Liveness
    liveness = Liveness("amqp://unused/", ttl=0.5, grace=1.0, clock=counts.clock, sleep=counts.sleep)
    liveness._ask = counts.ask
    return liveness


def test_a_consumer_away_for_less_than_the_grace_is_waited_for_not_reported_down():
    counts = Counts(0, 1)   # reconnecting for a moment, then back
    assert not liveness_on(counts).is_down("registry")
    assert counts.now < 1.0


def test_a_consumer_away_for_the_grace_is_down_and_the_next_request_is_told_at_once():
    counts = Counts(0)
    liveness = liveness_on(counts)
    assert liveness.is_down("tasks") and counts.now == 1.0
    assert liveness.is_down("tasks") and counts.now == 1.0   # no second wait in a lasting outage
