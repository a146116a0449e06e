"""The gateway's Flask app factory: the only HTTP entry of EMSS."""
import logging
import os
import secrets

import eventlet
from flask import Flask, jsonify, request, render_template, redirect, url_for
from flask.json.provider import DefaultJSONProvider
from nameko.exceptions import RemoteError, RpcTimeout
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.exceptions import HTTPException

from emss_common.broker import check_broker, BrokerUnavailable
from emss_common.config import SERVICES, Settings
from emss_common.errors import EmssError, NotAuthenticated, ValidationFailed
from emss_common.validation import check_json_value

from . import metrics
from .auth import RevocationListener, SessionCache
from .rpc import Liveness, RpcPool, ServiceUnavailable, Services

log = logging.getLogger(__name__)


class EdgeJSON(DefaultJSONProvider):
    """Every JSON body the gateway reads (request.get_json, silent or not) is refused with a 400
    naming the field when it nests too deep or holds a lone surrogate, before any service sees it."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:  # the C parser recurses per level
            raise ValidationFailed("JSON 嵌套层数过多", field="body") from None
        return check_json_value(value)


def create_app(settings=None, services=None, health_timeout=3.0):
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    secret = settings.secret_key
    if not secret:
        secret = secrets.token_hex(32)
        log.warning("EMSS_SECRET_KEY is not set: using a random key, page forms expire on restart")
    app.config.update(SECRET_KEY=secret, JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=16 * 1024 * 1024,
                      EMSS_SETTINGS=settings,
                      EMSS_SECURE_COOKIES=os.environ.get("EMSS_SECURE_COOKIES", "0") == "1")
    app.json = EdgeJSON(app)
    app.json.ensure_ascii = False
    proxies = int(dict(settings.overrides).get("EMSS_TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind N reverse proxies the client's address (kept in every confirmation's trail) is
        # the one they report; never trust the header otherwise, a client could write it.
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    pool = health_pool = liveness = None
    if services is None:
        # A service with no running process answers 503 at once rather than after the RPC timeout.
        liveness = Liveness(settings.amqp_uri)
        pool = RpcPool(settings.amqp_uri, timeout=settings.rpc_timeout, liveness=liveness)
        services = Services(pool)
        health_pool = RpcPool(settings.amqp_uri, timeout=health_timeout, size=len(SERVICES), liveness=liveness)
    app.extensions["emss_services"] = services
    app.extensions["emss_health_services"] = Services(health_pool) if health_pool else services
    sessions = SessionCache(float(os.environ.get("EMSS_SESSION_CACHE_SECONDS", "30")))
    app.extensions["emss_sessions"] = sessions
    # Without the registry's revocation broadcasts (injected services) nothing is cached.
    listener = RevocationListener(settings.amqp_uri, sessions).start() if pool is not None else None
    # Everything holding broker connections, closed by whoever disposes of the app (tests).
    app.extensions["emss_pools"] = [p for p in (pool, health_pool, liveness, listener) if p]

    metrics.install(app)
    from .api.registered import bp as api_bp
    from .pages.registered import bp as pages_bp
    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    from .pages.wx import bp as wx_bp
    from .wechat import install as install_wechat
    app.register_blueprint(wx_bp)
    install_wechat(app, settings)
    _install_system_routes(app)
    _install_error_handlers(app)
    return app


def _install_system_routes(app):
    @app.get("/healthz")
    def healthz():
        settings = app.config["EMSS_SETTINGS"]
        report = {"gateway": "ok"}
        try:
            check_broker(settings.amqp_uri, timeout=2)
            report["broker"] = "ok"
        except BrokerUnavailable:
            report["broker"] = "unreachable"
        services = app.extensions["emss_health_services"]
        pile = eventlet.GreenPile()
        for name in SERVICES:
            pile.spawn(_ping, services, name)
        for name, status in pile:
            report[name] = status
        down = sorted(k for k, v in report.items() if v != "ok")
        body = {"status": "ok" if not down else "unavailable", "checks": report, "down": down}
        return jsonify(body), 200 if not down else 503

    @app.get("/metrics")
    def prometheus_metrics():
        return generate_latest(), 200, {"Content-Type": CONTENT_TYPE_LATEST}

    @app.get("/api/v1/openapi.json")
    def openapi():
        from .openapi import build_spec
        return jsonify(build_spec())


def _ping(services, name):
    try:
        getattr(services, name).health()
        return name, "ok"
    except ServiceUnavailable:
        return name, "down"
    except Exception:  # noqa: BLE001 - any failure means "does not answer"
        return name, "no answer"


def _error_page(message, field, status):
    """The error page keeps the header of whoever is logged in (when the registry answers)."""
    context = {}
    try:
        from .auth import csrf_token, current_actor
        from .pages import reference
        context = {"actor": current_actor(), "csrf_token": csrf_token(), "ref": reference()}
    except Exception:  # noqa: BLE001 - the error page must render even when services do not
        context = {}
    template = "wx/error.html" if _is_wx() else "error.html"
    return render_template(template, message=message, field=field, status=status, **context), status


def _is_wx():
    """The WeChat H5 pages: phone layout, and sign-in through WeChat rather than the password form."""
    return request.path == "/wx" or request.path.startswith("/wx/")


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _install_error_handlers(app):
    @app.errorhandler(EmssError)
    def emss_error(exc):
        _log_expected(exc.http_status, exc.code, str(exc))
        if not _wants_json():
            if isinstance(exc, NotAuthenticated):
                if _is_wx():  # a form post cannot be replayed after sign-in: back to the home then
                    back = request.full_path if request.method == "GET" else None
                    return redirect(url_for("wx.oauth_start", next=back))
                return redirect(url_for("pages.login", next=request.full_path))
            return _error_page(exc.message, exc.field, exc.http_status)
        return jsonify({"error": exc.to_dict()}), exc.http_status

    @app.errorhandler(RpcTimeout)
    def timeout(exc):
        log.warning("RPC timeout on %s %s: %s", request.method, request.path, exc)
        return _system_error("service_timeout", "后台服务响应超时，请稍后重试", 504)

    @app.errorhandler(ServiceUnavailable)
    def unavailable(exc):
        log.info("%s is down: answered 503 to %s %s", exc.service, request.method, request.path)
        body, status = _system_error("service_unavailable", f"{exc.label}（{exc.service}）暂不可用，请稍后重试", 503)
        return body, status, {"Retry-After": "5"}

    @app.errorhandler(RemoteError)
    def remote(exc):
        log.error("remote error: %s", exc)
        return _system_error("service_error", "后台服务出错，请稍后重试", 502)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        messages = {404: "页面或接口不存在", 405: "不支持的请求方法", 413: "上传内容过大"}
        message = messages.get(exc.code, exc.description)
        _log_expected(exc.code, exc.name, message)
        # Keep what the exception says about itself (405's Allow), not its HTML content type.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            response = jsonify({"error": {"code": exc.name.lower().replace(" ", "_"), "message": message,
                                          "field": None}})
            return response, exc.code, headers
        body, status = _error_page(message, None, exc.code)
        return body, status, headers

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error")
        return _system_error("internal_error", "系统内部错误", 500)


def _log_expected(status, code, text):
    """An answer the client caused (4xx) is one line at INFO: it is not the system failing, and a
    traceback per bad request buries the errors that are. 5xx keep their tracebacks elsewhere."""
    if status < 500:
        log.info("%s %s %s -> %s %s: %s", request.method, request.path, request.remote_addr, status, code, text)
    else:
        log.error("%s %s -> %s %s: %s", request.method, request.path, status, code, text)


def _system_error(code, message, status):
    if _wants_json():
        return jsonify({"error": {"code": code, "message": message, "field": None}}), status
    return _error_page(message, None, status)
