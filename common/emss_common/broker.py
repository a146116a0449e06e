"""Broker reachability, with a message a person can act on instead of a traceback."""
from urllib.parse import urlparse

from kombu import Connection


class BrokerUnavailable(Exception):
    pass


def check_broker(amqp_uri, timeout=3):
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        where = urlparse(amqp_uri)
        raise BrokerUnavailable(
            f"RabbitMQ is not reachable at {where.hostname}:{where.port or 5672} ({exc}).\n"
            "Start it with `rabbitmq-server -detached` (Debian: `apt-get install rabbitmq-server`),\n"
            "or point AMQP_URI at a running broker, then run `make run` again.") from None


def start_process(name):
    """What every EMSS process does first: log with its name, read settings, insist on the broker.
    Returns (settings, None) or (None, exit code) after telling the person how to fix it."""
    import logging
    import sys
    from .config import Settings
    logging.basicConfig(level=logging.INFO,
                        format=f"%(asctime)s {name} %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    try:
        check_broker(settings.amqp_uri)
    except BrokerUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return None, 3
    return settings, None
