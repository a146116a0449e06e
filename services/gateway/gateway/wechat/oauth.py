"""Who is this WeChat user: web authorisation (网页授权) of the official account, behind one
interface so that development and tests run the whole flow without WeChat's servers.

snsapi_base is enough: EMSS needs the openid only, never the nickname or avatar, and snsapi_base
asks the person nothing.
"""
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from urllib.parse import urlencode

import requests
from wechatpy.exceptions import WeChatOAuthException
from wechatpy.oauth import WeChatOAuth

from emss_common.errors import EmssError


class OAuthError(EmssError):
    """The authorisation did not produce a WeChat user; the person starts again from the menu."""
    code = "wechat_oauth_failed"
    http_status = 400


class OAuthProvider(ABC):
    @abstractmethod
    def authorize_url(self, redirect_uri, state):
        """Where to send the browser; it comes back to redirect_uri?code=...&state=state."""

    @abstractmethod
    def exchange(self, code):
        """The openid behind a code from the redirect, or OAuthError."""


class _TimedOAuth(WeChatOAuth):
    """wechatpy's client sends its requests without a timeout; a hung WeChat API must not hold a
    gateway worker forever."""

    def __init__(self, *args, timeout=10.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.timeout = timeout

    def _request(self, method, url_or_endpoint, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super()._request(method, url_or_endpoint, **kwargs)


class WeChatOAuthProvider(OAuthProvider):
    """Production: WeChat's OAuth2 for official accounts (wechatpy.oauth.WeChatOAuth)."""

    def __init__(self, app_id, app_secret, timeout=10.0, session=None):
        self.app_id, self.app_secret, self.timeout = app_id, app_secret, timeout
        self._session = session  # tests pass a requests.Session stand-in

    def _client(self, redirect_uri="", state=""):
        client = _TimedOAuth(self.app_id, self.app_secret, redirect_uri, scope="snsapi_base",
                             state=state, timeout=self.timeout)
        if self._session is not None:
            client._http = self._session
        return client

    def authorize_url(self, redirect_uri, state):
        return self._client(redirect_uri, state).authorize_url

    def exchange(self, code):
        try:
            result = self._client().fetch_access_token(code)
        except WeChatOAuthException as exc:
            raise OAuthError(f"微信授权失败（{exc.errcode or '网络'}），请从公众号菜单重新进入",
                             field="code") from None
        except (requests.RequestException, ValueError, KeyError):
            raise OAuthError("暂时无法连接微信服务器，请稍后从公众号菜单重新进入", field="code") from None
        openid = result.get("openid")
        if not openid:
            raise OAuthError("微信授权未返回用户标识，请从公众号菜单重新进入", field="code")
        return openid


class SimulatorOAuthProvider(OAuthProvider):
    """Development and tests: /wechat/sim/authorize stands in for WeChat's consent screen. Codes
    behave like WeChat's: random, single use, expiring after five minutes. Kept in this process's
    memory, which is enough for the one gateway process of a development machine."""

    CODE_SECONDS = 300
    MAX_CODES = 10000
    MAX_USERS = 50

    def __init__(self, authorize_path="/wechat/sim/authorize", code_seconds=CODE_SECONDS,
                 clock=time.monotonic):
        self.authorize_path = authorize_path
        self.code_seconds = code_seconds
        self.clock = clock
        self._codes = {}
        self._users = OrderedDict()  # openid → nickname, most recent last
        self._lock = threading.Lock()

    def authorize_url(self, redirect_uri, state):
        query = urlencode({"redirect_uri": redirect_uri, "response_type": "code",
                           "scope": "snsapi_base", "state": state})
        return f"{self.authorize_path}?{query}"

    def issue_code(self, openid, nickname=""):
        """The simulated WeChat user agreed: a code for the redirect back to EMSS."""
        code = secrets.token_urlsafe(24)
        now = self.clock()
        with self._lock:
            if len(self._codes) >= self.MAX_CODES:
                self._codes = {c: v for c, v in self._codes.items() if v[1] > now}
            self._codes[code] = (openid, now + self.code_seconds)
            self._users.pop(openid, None)
            self._users[openid] = nickname
            while len(self._users) > self.MAX_USERS:
                self._users.popitem(last=False)
        return code

    def exchange(self, code):
        with self._lock:
            entry = self._codes.pop(code or "", None)
        if entry is None:
            raise OAuthError("授权码无效或已使用（模拟器），请从公众号菜单重新进入", field="code")
        openid, expires = entry
        if self.clock() >= expires:
            raise OAuthError("授权码已过期（模拟器），请从公众号菜单重新进入", field="code")
        return openid

    def users(self):
        """Simulated WeChat users seen lately, most recent first: [(openid, nickname)]."""
        with self._lock:
            return list(reversed(self._users.items()))


def provider_for(config):
    if config.oauth == "wechat":
        return WeChatOAuthProvider(config.app_id, config.app_secret)
    return SimulatorOAuthProvider()
