"""Watching events on the real broker from a test: bind a private queue to a service's exchange."""
import socket
import time
import uuid

from kombu import Connection, Exchange, Queue


class EventTap:
    """Collects the envelopes a service publishes on its nameko events exchange."""

    def __init__(self, amqp_uri, source, routing_keys=("#",)):
        self.conn = Connection(amqp_uri)
        # Same declaration as nameko's get_event_exchange, so either side may create it first.
        self.exchange = Exchange(f"{source}.events", type="topic", durable=True)
        self.queue = Queue(f"test-tap-{source}-{uuid.uuid4().hex[:8]}", exclusive=True,
                           auto_delete=True)
        self.routing_keys = routing_keys
        self.events = []

    def __enter__(self):
        channel = self.conn.channel()
        self.exchange(channel).declare()
        self.queue = self.queue(channel)
        self.queue.declare()
        for key in self.routing_keys:
            self.queue.bind_to(exchange=self.exchange, routing_key=key)
        self.consumer = self.conn.Consumer([self.queue], callbacks=[self._on_message], accept=["json"],
                                         no_ack=False)
        self.consumer.consume()
        return self

    def _on_message(self, body, message):
        self.events.append(body)
        message.ack()

    def wait_for(self, predicate, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [e for e in self.events if predicate(e)]
            if found:
                return found
            try:
                self.conn.drain_events(timeout=0.2)
            except socket.timeout:
                pass
        raise AssertionError(f"no matching event within {timeout}s; saw {[e.get('type') for e in self.events]}")

    def types(self):
        return [e["type"] for e in self.events]

    def __exit__(self, *exc):
        try:
            self.consumer.cancel()
        finally:
            self.conn.release()
