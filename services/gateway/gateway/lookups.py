"""What the pages ask the owning service to describe (a form, the default plan frequencies) rather
than computing it from another service's code: the service applies its own config and catalogue.
Answers are kept a short while per app, since a page may ask for the same form many times."""
import json
import threading
import time

from flask import current_app

from emss_common.errors import EmssError

TTL_SECONDS = 30.0
MAX_ENTRIES = 512


class _Cache:
    def __init__(self):
        self._rows = {}
        self._lock = threading.Lock()

    def get(self, key, fetch):
        now = time.monotonic()
        with self._lock:
            hit = self._rows.get(key)
        if hit is not None and now - hit[0] < TTL_SECONDS:
            return hit[1]
        value = fetch()
        with self._lock:
            if len(self._rows) >= MAX_ENTRIES:
                self._rows.clear()
            self._rows[key] = (now, value)
        return value


def _cache():
    return current_app.extensions.setdefault("emss_lookups", _Cache())


def _services():
    return current_app.extensions["emss_services"]


def describe(kind, device=None):
    """The fieldrecords service's description of a form kind (narrowed to a device when given)."""
    key = ("form", kind, json.dumps(device, sort_keys=True, default=str) if device else None)
    return _cache().get(key, lambda: _services().fieldrecords.form_description(kind, device))


def plan_defaults():
    """{form kind: {kind, n, label}}: the default frequencies the tasks service checks plans against."""
    return _cache().get(("plan_defaults",), lambda: _services().tasks.plan_defaults())


def institution_name(actor, institution_id):
    """An institution's name from the registry (kept a short while), or None when it cannot be read."""
    return _cache().get(("institution", institution_id), lambda: _read_name(
        lambda: _services().registry.get_institution(actor, institution_id)))


def enterprise_names(actor, enterprise_id):
    """(the enterprise's name, {outlet id: outlet name}) from the registry, or (None, {})."""
    def fetch():
        try:
            ent = _services().registry.get_enterprise(actor, enterprise_id)
        except EmssError:
            return None, {}
        return ent.get("name"), {o["id"]: o.get("name") for o in ent.get("outlets", [])}
    return _cache().get(("enterprise", enterprise_id), fetch)


def _read_name(read):
    try:
        return read().get("name")
    except EmssError:
        return None
