"""Prometheus metrics, registered once per process (a second registration would raise)."""
from prometheus_client import Counter, Gauge, Histogram, REGISTRY

_metrics = {}

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def counter(name, doc, labels):
    return _get(Counter, name, doc, labels)


def gauge(name, doc, labels):
    return _get(Gauge, name, doc, labels)


def histogram(name, doc, labels, buckets=LATENCY_BUCKETS):
    return _get(Histogram, name, doc, labels, buckets=buckets)


def _get(kind, name, doc, labels, **kwargs):
    metric = _metrics.get(name)
    if metric is None:
        metric = _metrics[name] = kind(name, doc, labels, registry=REGISTRY, **kwargs)
    return metric


def rpc_requests():
    return counter("emss_rpc_requests_total", "RPC calls handled", ["service", "method", "outcome"])


def rpc_duration():
    return histogram("emss_rpc_duration_seconds", "RPC handling time", ["service", "method"])


def events_handled():
    return counter("emss_events_handled_total", "Events handled",
                   ["service", "event_type", "outcome"])


def events_emitted():
    return counter("emss_events_emitted_total", "Events emitted", ["service", "event_type"])


def reconciliation_repaired():
    return counter("emss_reconciliation_repaired_total",
                   "Copies of another service's facts that reconciliation found missing or stale and repaired",
                   ["service", "source", "collection"])


def reconciliation_lag():
    return gauge("emss_reconciliation_lag_seconds",
                 "How far behind now the last fact read from a source's export changed",
                 ["service", "source", "collection"])


def events_parked():
    return gauge("emss_events_parked",
                 "Events whose handler failed EMSS_HANDLER_MAX_ATTEMPTS times and wait for a replay (emss-parked)",
                 ["service", "handler"])


def event_retries():
    return counter("emss_event_retries_total", "Retries of events whose handler had failed",
                   ["service", "handler", "outcome"])
