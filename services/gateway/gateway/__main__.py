"""Run the gateway: `python -m gateway` (eventlet WSGI server on GATEWAY_HOST:GATEWAY_PORT)."""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import logging  # noqa: E402
import sys  # noqa: E402

from eventlet import wsgi  # noqa: E402

from emss_common.broker import check_broker, BrokerUnavailable  # noqa: E402
from emss_common.config import Settings  # noqa: E402


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s gateway %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    try:
        check_broker(settings.amqp_uri)
    except BrokerUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 3
    from .app import create_app
    app = create_app(settings)
    listener = eventlet.listen((settings.gateway_host, settings.gateway_port))
    logging.getLogger("gateway").info("listening on http://%s:%s", settings.gateway_host, settings.gateway_port)
    try:
        wsgi.server(listener, app, log_output=False, max_size=1000)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
