"""`/wechat`: the server callback of the official account.

Every request carries signature = sha1(sorted(token, timestamp, nonce)); a wrong one is 403.
GET is the handshake (answer echostr). POST is a message or event: in safe mode
(encrypt_type=aes) the body holds <Encrypt>, signed by msg_signature, and the reply is encrypted
the same way. The body is capped and vetted with defusedxml (xmlsafe.py) before wechatpy parses
it: malformed or hostile XML is 400. Answers are plain responses, never the HTML error pages
(which look up the session): WeChat reads only the status and body.

No session and no CSRF token: this route is not guarded by `requires`; the signature is the
authentication. Nothing here calls another service.
"""
import binascii
import logging
import struct
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from wechatpy import parse_message
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from . import menu
from .xmlsafe import UnsafeXml, text_of, vet

log = logging.getLogger(__name__)

bp = Blueprint("wechat", __name__)

# WeChat's messages are a few KB; anything far larger is not from WeChat.
MAX_BODY_BYTES = 64 * 1024


def _plain(text, status=200):
    return Response(text, status=status, mimetype="text/plain")


class _Refused(Exception):
    def __init__(self, status, reason):
        super().__init__(reason)
        self.status, self.reason = status, reason


@bp.route("/wechat", methods=["GET", "POST"])
def callback():
    wechat = current_app.extensions["emss_wechat"]
    args = request.args
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    try:
        check_signature(wechat.config.token, args.get("signature", ""), timestamp, nonce)
    except InvalidSignatureException:
        return _plain("invalid signature", 403)
    if request.method == "GET":
        echostr = args.get("echostr", "")
        return _plain(echostr) if echostr else _plain("missing echostr", 400)
    try:
        message, encrypted = _read_message(wechat, args, timestamp, nonce)
    except _Refused as exc:
        log.warning("wechat callback refused (%s): %s", exc.status, exc.reason)
        return _plain(exc.reason, exc.status)
    text = answer(message, wechat.base_url(request))
    if text is None:
        return _plain("success")  # WeChat's word for "no reply"
    xml = TextReply(content=text, message=message).render()
    if encrypted:
        xml = wechat.crypto.encrypt_message(xml, nonce, timestamp)
    return Response(xml, mimetype="application/xml")


def _read_message(wechat, args, timestamp, nonce):
    body = _read_body()
    try:
        root = vet(body)
    except UnsafeXml as exc:
        raise _Refused(400, f"bad xml: {exc}") from None
    encrypt_type = (args.get("encrypt_type") or "raw").lower()
    if encrypt_type not in ("raw", "aes"):
        raise _Refused(400, "unknown encrypt_type")
    encrypted = encrypt_type == "aes"
    if encrypted:
        body = _decrypt(wechat, root, args.get("msg_signature", ""), timestamp, nonce)
        try:
            vet(body)
        except UnsafeXml as exc:
            raise _Refused(400, f"bad decrypted xml: {exc}") from None
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        message = parse_message(text)
        # Read the fields replies need now, so a malformed value is a 400 here, not a 500 later.
        _ = (message.type, message.source, message.target, message.time)
    except Exception as exc:  # noqa: BLE001 - whatever wechatpy trips on in vetted XML is bad input
        raise _Refused(400, f"not a WeChat message: {type(exc).__name__}") from None
    if message is None or not all(isinstance(v, str) and v for v in (message.source, message.target)):
        raise _Refused(400, "message without sender or receiver")
    return message, encrypted


def _read_body():
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        raise _Refused(400, "body too large")
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise _Refused(400, "body too large")
    if not body.strip():
        raise _Refused(400, "empty body")
    return body


def _decrypt(wechat, root, msg_signature, timestamp, nonce):
    if wechat.crypto is None:
        raise _Refused(400, "safe mode is not configured (WECHAT_AES_KEY)")
    encrypt = text_of(root, "Encrypt")
    if not encrypt:
        raise _Refused(400, "no Encrypt element")
    try:
        # A dict, not the XML text: wechatpy would parse the text with xmltodict itself.
        return wechat.crypto.decrypt_message({"Encrypt": encrypt}, msg_signature, timestamp, nonce)
    except InvalidSignatureException:
        raise _Refused(403, "invalid msg_signature") from None
    except InvalidAppIdException:
        raise _Refused(403, "message for another app id") from None
    except (ValueError, TypeError, IndexError, struct.error, binascii.Error, UnicodeError):
        raise _Refused(400, "cannot decrypt") from None


WELCOME = (
    f"欢迎关注“{menu.ACCOUNT_NAME}”！\n\n"
    "首次使用请先绑定账户：点击菜单“我的信息 → 账户绑定”，用监管系统账户（机构主账户、"
    "运维人员或运维审核子账户、排污单位账户）登录完成绑定，以后从公众号进入无需再输入密码。\n\n"
    "绑定后在“业务管理”中办理：\n"
    "· 污染源运维：现场签到、运维记录填报\n"
    "· 采样任务：现场采样与排污单位确认\n"
    "· 排污单位确认：当日运维记录签名确认\n"
    "· 运维审核：审核已确认的运维记录"
)

HELP = (
    "本公众号不提供人工回复，请通过底部菜单办理：\n"
    "· “我的信息 → 账户绑定”：绑定或查看监管系统账户\n"
    "· “业务管理”：污染源运维、采样任务、排污单位确认、运维审核"
)


def answer(message, base_url):
    """The text to reply to a message or event, or None for no reply."""
    kind = message.type
    if kind == "event":
        event = message.event
        if event in ("subscribe", "subscribe_scan"):
            return WELCOME + "\n\n" + _link(menu.by_key("WX_ME"), base_url)
        if event == "click":
            entry = menu.by_key(message.key)
            return _link(entry, base_url) if entry and entry.path else HELP
        if event == "view":
            entry = menu.by_path(_path_of(message.url))
            return _link(entry, base_url) if entry else HELP
        return None
    if kind == "text":
        return HELP
    return None


def _link(entry, base_url):
    hint = f"（{entry.hint}）" if entry.hint else ""
    return f"{entry.name}{hint}：<a href=\"{base_url}{entry.path}\">点击进入</a>"


def _path_of(url):
    if not isinstance(url, str):
        return ""
    return urlsplit(url).path if url.startswith(("http://", "https://")) else url
