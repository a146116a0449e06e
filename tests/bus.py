"""Watching events on the real broker from a test: a private queue bound to a service's nameko
events exchange. Polls with eventlet sleeps, so in-process services keep running meanwhile."""
import uuid

import eventlet
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from tests.waiting import PATIENCE


class EventTap:
    """Every event `source` publishes (matching `routing_keys`) from now on, in order."""

    def __init__(self, amqp_uri, source, routing_keys=("#",)):
        self.conn = Connection(amqp_uri)
        self.channel = self.conn.channel()
        exchange = get_event_exchange(source, {"AMQP_URI": amqp_uri})
        exchange(self.channel).declare()  # the publisher may not have declared it yet
        self.queue = Queue(f"test-tap-{source}-{uuid.uuid4().hex[:12]}", exclusive=True,
                           auto_delete=True)(self.channel)
        self.queue.declare()
        for key in routing_keys:
            self.queue.bind_to(exchange=exchange, routing_key=key)
        self.seen = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def collect(self):
        while True:
            message = self.queue.get(no_ack=True)
            if message is None:
                return self.seen
            self.seen.append(message.payload)

    def of(self, type_, subject=None):
        return [e for e in self.collect()
                if e["type"] == type_ and (subject is None or e["subject"] == subject)]

    def wait_for(self, type_, subject=None, timeout=PATIENCE):
        """The first event of this type (and subject); polls, never sleeps blindly."""
        deadline = eventlet.hubs.get_hub().clock() + timeout
        while True:
            found = self.of(type_, subject)
            if found:
                return found[0]
            if eventlet.hubs.get_hub().clock() > deadline:
                raise AssertionError(f"no {type_} event for {subject}; saw "
                                     f"{[e['type'] for e in self.seen]}")
            eventlet.sleep(0.01)

    def types(self, subject=None):
        return [e["type"] for e in self.collect() if subject is None or e["subject"] == subject]

    def close(self):
        try:
            self.queue.delete()
        except Exception:  # noqa: BLE001 - the vhost may already be gone
            pass
        self.conn.release()


class EventFeed:
    """Publishes events as another service would (a service test feeds its consumers this way)."""

    def __init__(self, config):
        from nameko.standalone.events import event_dispatcher
        self.dispatch = event_dispatcher(config)

    def send(self, source, type_, subject, data, event=None):
        from emss_common.events import make_event
        event = event or make_event(type_, source, subject, data)
        self.dispatch(source, type_, event)
        return event
