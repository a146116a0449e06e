"""RPC from the gateway to the services: a small pool of standalone nameko proxies.

A proxy is not safe to share between concurrent requests, so each request checks one out. A call to
a service that no process serves is not sent: it fails at once with ServiceUnavailable instead of
waiting the whole RPC timeout (Liveness).
"""
import queue
import logging
import threading
import time

from amqp.exceptions import NotFound
from kombu import Connection
from nameko.exceptions import RpcTimeout
from nameko.rpc import RPC_QUEUE_TEMPLATE
from nameko.standalone.rpc import ClusterRpcProxy

log = logging.getLogger(__name__)

# How people call each service in messages (服务暂不可用).
SERVICE_LABELS = {
    "registry": "登记服务",
    "tasks": "合同与任务服务",
    "fieldrecords": "现场记录服务",
    "confirmation": "确认服务",
    "credit": "监管与信用服务",
}


class ServiceUnavailable(Exception):
    """No process consumes the service's RPC queue, so the request was not sent (nothing was done)."""

    def __init__(self, service):
        super().__init__(f"service {service} is down: no process consumes {RPC_QUEUE_TEMPLATE.format(service)}")
        self.service = service
        self.label = SERVICE_LABELS.get(service, service)


class Liveness:
    """How many processes consume a service's RPC queue (`rpc-<service>`), from a passive
    queue_declare, remembered for `ttl` seconds: 0 means the service is down (a killed process's
    connection, and so its consumer, is gone at once). None means the broker could not be asked;
    then callers go ahead and the call fails or succeeds on its own."""

    def __init__(self, amqp_uri, ttl=0.5, timeout=2.0, grace=1.0, clock=time.monotonic, sleep=time.sleep):
        self.amqp_uri, self.ttl, self.timeout, self.clock = amqp_uri, ttl, timeout, clock
        self.grace, self.sleep = grace, sleep
        self._known = {}   # service -> (checked at, consumer count or None)
        self._down_since = {}   # service -> when its queue was first seen without a consumer
        self._lock = threading.Lock()   # one AMQP channel: one question at a time
        self._conn = self._channel = None
        self._unreachable_at = None

    def consumers(self, service):
        known = self._known.get(service)
        if known is not None and self.clock() - known[0] < self.ttl:
            return known[1]
        with self._lock:
            known = self._known.get(service)   # asked meanwhile by another request?
            if known is not None and self.clock() - known[0] < self.ttl:
                return known[1]
            if self._unreachable_at is not None and self.clock() - self._unreachable_at < self.ttl:
                return None   # do not wait on an unreachable broker once per service
            count = self._ask(service)
            self._known[service] = (self.clock(), count)
            return count

    def is_down(self, service):
        """True once no process has consumed the queue for `grace` seconds. A consumer that is
        reconnecting (a missed heartbeat on a busy machine) leaves the queue for a moment: a request
        then waits for it up to `grace` rather than failing; in a lasting outage it fails at once."""
        while True:
            if self.consumers(service) != 0:   # served, or no verdict
                self._down_since.pop(service, None)
                return False
            since = self._down_since.setdefault(service, self.clock())
            if self.clock() - since >= self.grace:
                return True
            self.sleep(self.ttl)

    def _ask(self, service):
        try:
            if self._channel is None:
                if self._conn is None:
                    # Read and write timeouts: a silently dropped connection must not hold the lock.
                    self._conn = Connection(self.amqp_uri, connect_timeout=self.timeout, transport_options={
                        "read_timeout": self.timeout, "write_timeout": self.timeout})
                self._channel = self._conn.channel()
            ok = self._channel.queue_declare(queue=RPC_QUEUE_TEMPLATE.format(service), passive=True)
            self._unreachable_at = None
            return ok.consumer_count
        except NotFound:   # never started on this broker; the broker closed the channel
            self._drop_channel()
            return 0
        except Exception as exc:  # noqa: BLE001 - broker away: no verdict, ask again later
            log.info("cannot ask the broker whether %s runs: %s", service, exc)
            self.close()
            self._unreachable_at = self.clock()
            return None

    def _drop_channel(self):
        channel, self._channel = self._channel, None
        try:
            channel.close()
        except Exception:  # noqa: BLE001 - already closed by the broker
            pass

    def close(self):
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass


class RpcPool:
    def __init__(self, amqp_uri, timeout=10.0, size=8, liveness=None):
        self.config = {"AMQP_URI": amqp_uri, "serializer": "json"}
        self.timeout = timeout
        self.liveness = liveness
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
        if self.liveness is not None and self.liveness.is_down(service):
            raise ServiceUnavailable(service)
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
