"""Run the gateway: `python -m gateway` (eventlet WSGI server on GATEWAY_HOST:GATEWAY_PORT)."""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import logging  # noqa: E402
import sys  # noqa: E402

from eventlet import wsgi  # noqa: E402

from emss_common.broker import start_process  # noqa: E402


def main():
    settings, failed = start_process("gateway")
    if failed:
        return failed
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
