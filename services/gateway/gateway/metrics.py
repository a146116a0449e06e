"""Request counts and latency by route template and status, for Prometheus."""
import time

from flask import g, request

from emss_common import metrics

REQUESTS = metrics.counter("emss_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = metrics.histogram("emss_http_request_duration_seconds", "HTTP request latency",
                            ["method", "route"])


def install(app):
    @app.before_request
    def _start():
        g._started = time.perf_counter()

    @app.after_request
    def _observe(response):
        route = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        started = g.get("_started")
        if started is not None:
            LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        return response
