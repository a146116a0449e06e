"""The WeChat official account (上海市环境监测社会化服务监管公众号) side of the gateway.

- `/wechat`: the server callback WeChat calls (GET handshake, POST messages and events), signed
  with WECHAT_TOKEN; plain mode, or safe mode (AES) when WECHAT_AES_KEY is set. No session, no
  CSRF: the signature is the authentication. See callback.py.
- `menu.py`: the custom menu as data; `scripts/wechat_menu.py` prints it and pushes it to WeChat.
- `oauth.py`: who the WeChat user is (openid), from WeChat's OAuth or from the local simulator at
  `/wechat/sim/authorize` (simulator.py, mounted only when WECHAT_OAUTH=simulator).
- The H5 pages under `/wx/` (pages/wx.py) sign people in through that OAuth and a binding of the
  openid to an EMSS account (registry `bind_wechat` / `wechat_login`).

Settings (environment):
  WECHAT_OAUTH       simulator (default: development and tests) | wechat (production)
  WECHAT_TOKEN       the token configured on the WeChat platform (服务器配置 → 令牌); required with
                     WECHAT_OAUTH=wechat, otherwise a development token is used
  WECHAT_APP_ID      the official account's AppID; required with WECHAT_OAUTH=wechat
  WECHAT_APP_SECRET  its AppSecret; required with WECHAT_OAUTH=wechat
  WECHAT_AES_KEY     EncodingAESKey (43 characters); when set, encrypted messages (safe mode) are
                     accepted and answered encrypted. Plain messages with a valid signature are
                     still accepted (WeChat's compatible mode sends both kinds).
  EMSS_PUBLIC_URL    https://… where people reach the gateway (menu links, OAuth redirect);
                     unset = taken from each request
"""
import base64
import binascii
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

DEV_TOKEN = "emssdevtoken"
DEV_APP_ID = "wxemssdevelopment"
OAUTH_MODES = ("simulator", "wechat")


@dataclass(frozen=True)
class WeChatConfig:
    token: str
    app_id: str
    app_secret: str | None
    aes_key: str | None
    oauth: str
    public_url: str | None

    @classmethod
    def from_settings(cls, settings):
        mode = settings.wechat_oauth
        if mode not in OAUTH_MODES:
            raise ValueError(f"WECHAT_OAUTH must be one of {', '.join(OAUTH_MODES)}, not {mode!r}")
        if mode == "wechat":
            missing = [name for name, value in (("WECHAT_TOKEN", settings.wechat_token),
                                                ("WECHAT_APP_ID", settings.wechat_app_id),
                                                ("WECHAT_APP_SECRET", settings.wechat_app_secret))
                       if not value]
            if missing:
                raise ValueError(f"WECHAT_OAUTH=wechat needs {', '.join(missing)}")
        elif not settings.wechat_token:
            log.warning("WECHAT_TOKEN is not set: the WeChat callback accepts the development token")
        aes_key = settings.wechat_aes_key
        if aes_key:
            _check_aes_key(aes_key)
        return cls(token=settings.wechat_token or DEV_TOKEN,
                   app_id=settings.wechat_app_id or DEV_APP_ID,
                   app_secret=settings.wechat_app_secret, aes_key=aes_key, oauth=mode,
                   public_url=settings.public_url)


def _check_aes_key(key):
    try:
        raw = base64.b64decode(key + "=", validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(key) != 43 or len(raw) != 32:
        raise ValueError("WECHAT_AES_KEY must be the 43-character EncodingAESKey of the account")


class WeChat:
    """What the callback and the /wx/ pages share: config, OAuth provider, safe-mode crypto."""

    def __init__(self, config, provider):
        from wechatpy.crypto import WeChatCrypto
        self.config = config
        self.provider = provider
        self.crypto = WeChatCrypto(config.token, config.aes_key, config.app_id) \
            if config.aes_key else None

    def base_url(self, request):
        return self.config.public_url or request.host_url.rstrip("/")


def install(app, settings, provider=None):
    """Mount the callback (and the OAuth simulator when configured) on the app."""
    from .callback import bp as callback_bp
    from .oauth import provider_for
    config = WeChatConfig.from_settings(settings)
    app.extensions["emss_wechat"] = WeChat(config, provider or provider_for(config))
    app.register_blueprint(callback_bp)
    if config.oauth == "simulator":
        from .simulator import bp as simulator_bp
        app.register_blueprint(simulator_bp)
