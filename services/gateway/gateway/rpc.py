"""RPC from the gateway to the services: a small pool of standalone nameko proxies.

A proxy is not safe to share between concurrent requests, so each request checks one out.
"""
import queue
import logging

from nameko.exceptions import RpcTimeout
from nameko.standalone.rpc import ClusterRpcProxy

log = logging.getLogger(__name__)


class RpcPool:
    def __init__(self, amqp_uri, timeout=10.0, size=8):
        self.config = {"AMQP_URI": amqp_uri, "serializer": "json"}
        self.timeout = timeout
        self.size = size
        self._idle = queue.LifoQueue()
        self._created = 0

    def _checkout(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        if self._created < self.size:
            self._created += 1
            try:
                wrapper = ClusterRpcProxy(self.config, timeout=self.timeout)
                return wrapper, wrapper.start()
            except Exception:
                self._created -= 1
                raise
        return self._idle.get(timeout=self.timeout)

    def _discard(self, item):
        self._created -= 1
        try:
            item[0].stop()
        except Exception:  # noqa: BLE001 - it is being thrown away
            pass

    def call(self, service, method, *args, **kwargs):
        item = self._checkout()
        try:
            result = getattr(item[1][service], method)(*args, **kwargs)
        except RpcTimeout:
            self._discard(item)  # a late reply would confuse the next caller
            raise
        except Exception as exc:
            if _is_remote(exc):
                self._idle.put(item)
            else:
                self._discard(item)
            raise
        self._idle.put(item)
        return result

    def close(self):
        while True:
            try:
                item = self._idle.get_nowait()
            except queue.Empty:
                return
            self._discard(item)


def _is_remote(exc):
    from emss_common.errors import EmssError
    from nameko.exceptions import RemoteError
    return isinstance(exc, (EmssError, RemoteError))


class Services:
    """`services.registry.login(...)`: what views call; one RPC hop per request."""

    def __init__(self, pool):
        self._pool = pool

    def __getattr__(self, service):
        pool = self._pool

        class _Service:
            def __getattr__(self, method):
                return lambda *a, **kw: pool.call(service, method, *a, **kw)
        return _Service()
