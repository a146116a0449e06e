"""The WeChat server callback (/wechat) through Flask's test client, without a broker: the
handshake, signed plain and safe-mode (AES) messages, the replies, and refusals — 403 for a
wrong signature, 400 for anything that is not a small, DTD-free WeChat XML message."""
import hashlib
import time

import pytest
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import WeChatCrypto

from emss_common.config import Settings
from gateway.app import create_app
from gateway.wechat.callback import MAX_BODY_BYTES

TOKEN = "emsstesttoken"
APP_ID = "wx1234567890abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues them
ACCOUNT = "gh_emss_official"
USER = "oUserOpenid0000000000000001"


class NoServices:
    """The callback must not need any service: touching one fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"the WeChat callback called the {name} service")


def make_app(**env):
    settings = Settings.from_env({"EMSS_SECRET_KEY": "test-secret", "WECHAT_TOKEN": TOKEN,
                                  "WECHAT_APP_ID": APP_ID, **env})
    app = create_app(settings, services=NoServices())
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client():
    return make_app().test_client()


@pytest.fixture
def safe_client():
    return make_app(WECHAT_AES_KEY=AES_KEY).test_client()


def signed(token=TOKEN, timestamp=None, nonce="1357924680", **extra):
    """The query WeChat adds to every callback: sha1 of the sorted token, timestamp and nonce."""
    timestamp = timestamp or str(int(time.time()))
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce, **extra}


def message(msg_type, **fields):
    parts = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{USER}]]></FromUserName><CreateTime>1767225600</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>{parts}</xml>")


def post(client, body, query=None):
    return client.post("/wechat", query_string=signed() if query is None else query, data=body,
                       content_type="text/xml")


def reply_of(resp):
    assert resp.status_code == 200, resp.get_data(as_text=True)
    root = fromstring(resp.data, forbid_dtd=True)
    return {child.tag: child.text for child in root}


# ----- handshake -----

def test_the_handshake_echoes_echostr_when_the_signature_is_right(client):
    resp = client.get("/wechat", query_string=signed(echostr="7391284756123"))
    assert resp.status_code == 200
    assert resp.get_data(as_text=True) == "7391284756123"
    assert resp.mimetype == "text/plain"


@pytest.mark.parametrize("query", [
    signed(token="not-our-token", echostr="1"),
    {**signed(echostr="1"), "nonce": "2468013579"},  # signed for another nonce
    {"echostr": "1"},
    {**signed(echostr="1"), "signature": ""},
])
def test_a_forged_or_missing_signature_is_403_and_echoes_nothing(client, query):
    resp = client.get("/wechat", query_string=query)
    assert resp.status_code == 403
    assert "1" not in resp.get_data(as_text=True)


# ----- plain mode -----

def test_subscribing_gets_a_chinese_welcome_explaining_binding_and_business(client):
    reply = reply_of(post(client, message("event", Event="subscribe")))
    assert reply["ToUserName"] == USER and reply["FromUserName"] == ACCOUNT
    assert reply["MsgType"] == "text"
    content = reply["Content"]
    for words in ("欢迎关注", "我的信息 → 账户绑定", "业务管理", "污染源运维", "采样任务"):
        assert words in content
    assert 'href="http://localhost/wx/me"' in content


def test_a_menu_click_gets_the_link_of_its_page(client):
    content = reply_of(post(client, message("event", Event="CLICK", EventKey="WX_OM")))["Content"]
    assert content.startswith("污染源运维")
    assert 'href="http://localhost/wx/om"' in content
    help_text = reply_of(post(client, message("event", Event="CLICK", EventKey="EMSS_HELP")))["Content"]
    assert "账户绑定" in help_text and "href" not in help_text


def test_a_view_event_gets_the_link_and_links_use_the_public_address_when_set():
    client = make_app(EMSS_PUBLIC_URL="https://emss.example.gov.cn/").test_client()
    content = reply_of(post(client, message("event", Event="VIEW",
                                            EventKey="https://emss.example.gov.cn/wx/review")))["Content"]
    assert content.startswith("运维审核")
    assert 'href="https://emss.example.gov.cn/wx/review"' in content


def test_a_text_message_gets_a_short_help_and_other_messages_get_success(client):
    assert "业务管理" in reply_of(post(client, message("text", Content="你好", MsgId="1")))["Content"]
    for body in (message("event", Event="unsubscribe"),
                 message("location", Location_X="31.2", Location_Y="121.5", Scale="15", Label="x"),
                 message("event", Event="some_future_event")):
        resp = post(client, body)
        assert (resp.status_code, resp.get_data(as_text=True)) == (200, "success")


def test_a_post_needs_the_signature_too_and_no_session_or_csrf_token(client):
    body = message("event", Event="subscribe")
    assert post(client, body, signed(token="forged")).status_code == 403
    assert post(client, body, {}).status_code == 403
    # A browser cookie on the request changes nothing: the signature is the authentication.
    client.set_cookie("emss_session", "some-session-token")
    assert post(client, body).status_code == 200


# ----- hostile or malformed bodies -----

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xml [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
""" + message("text", Content="x").replace("<![CDATA[x]]>", "&lol9;")

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
""" + message("text", Content="x").replace("<![CDATA[x]]>", "&secret;")

PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
""" + message("text", Content="x")

EXTERNAL_DTD = ('<?xml version="1.0"?><!DOCTYPE xml SYSTEM "http://127.0.0.1:9/wechat.dtd">'
                + message("text", Content="x"))

HOSTILE = {
    "billion laughs": BILLION_LAUGHS,
    "external entity": EXTERNAL_ENTITY,
    "parameter entity": PARAMETER_ENTITY,
    "external DTD": EXTERNAL_DTD,
    "oversized": message("text", Content="长" * (MAX_BODY_BYTES // 3 + 10)),
    "not XML": "signature=abc&echostr=1",
    "JSON": '{"MsgType": "text", "Content": "hi"}',
    "truncated": message("text", Content="x")[:-8],
    "other root": message("text", Content="x").replace("<xml>", "<doc>").replace("</xml>", "</doc>"),
    "no MsgType": f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{USER}</FromUserName></xml>",
    "no sender": "<xml><ToUserName>a</ToUserName><MsgType>text</MsgType><Content>x</Content></xml>",
    "nested sender": message("text", Content="x").replace(
        f"<![CDATA[{USER}]]>", "<a><b>c</b></a>"),
    "too deep": "<xml><MsgType>text</MsgType>" + "<a>" * 10 + "x" + "</a>" * 10 + "</xml>",
    "too many elements": "<xml><MsgType>text</MsgType>" + "<a>x</a>" * 300 + "</xml>",
    "bad time": message("text", Content="x").replace("1767225600", "yesterday"),
    "not UTF-8": message("text", Content="编码").encode("gbk"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_malformed_or_hostile_xml_is_400_never_a_crash(client, name):
    resp = post(client, HOSTILE[name])
    assert resp.status_code == 400, (name, resp.status_code, resp.get_data(as_text=True)[:200])
    assert "root:" not in resp.get_data(as_text=True)  # nothing of /etc/passwd comes back


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_body_is_400(client, body):
    assert post(client, body).status_code == 400


def test_a_body_larger_than_declared_limits_is_refused_before_it_is_read(client):
    resp = client.post("/wechat", query_string=signed(), data=b"<xml>" + b" " * (MAX_BODY_BYTES * 4),
                       content_type="text/xml")
    assert resp.status_code == 400


# ----- safe mode (AES) -----

def encrypted_request(plain_xml, token=TOKEN, key=AES_KEY, app_id=APP_ID, nonce="246813579"):
    """Encrypt a message the way WeChat does; returns (body, query)."""
    timestamp = str(int(time.time()))
    envelope = fromstring(WeChatCrypto(token, key, app_id).encrypt_message(plain_xml, nonce, timestamp))
    body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<Encrypt><![CDATA[{envelope.find('Encrypt').text}]]></Encrypt></xml>")
    query = signed(timestamp=timestamp, nonce=nonce, encrypt_type="aes",
                   msg_signature=envelope.find("MsgSignature").text, openid=USER)
    return body, query


def decrypt_reply(resp):
    assert resp.status_code == 200, resp.get_data(as_text=True)
    envelope = fromstring(resp.data, forbid_dtd=True)
    assert envelope.find("Encrypt") is not None
    plain = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        resp.data, envelope.find("MsgSignature").text, envelope.find("TimeStamp").text,
        envelope.find("Nonce").text)
    return {child.tag: child.text for child in fromstring(plain, forbid_dtd=True)}


def test_safe_mode_round_trip_decrypts_the_message_and_encrypts_the_reply(safe_client):
    body, query = encrypted_request(message("event", Event="subscribe"))
    reply = decrypt_reply(post(safe_client, body, query))
    assert reply["ToUserName"] == USER and reply["FromUserName"] == ACCOUNT
    assert "我的信息 → 账户绑定" in reply["Content"]
    body, query = encrypted_request(message("event", Event="CLICK", EventKey="WX_CONFIRM"))
    assert 'href="http://localhost/wx/confirm"' in decrypt_reply(post(safe_client, body, query))["Content"]


def test_safe_mode_still_accepts_a_signed_plain_message(safe_client):
    assert "欢迎关注" in reply_of(post(safe_client, message("event", Event="subscribe")))["Content"]


def test_safe_mode_refuses_a_forged_message_signature_or_another_apps_message(safe_client):
    body, query = encrypted_request(message("event", Event="subscribe"))
    assert post(safe_client, body, {**query, "msg_signature": "0" * 40}).status_code == 403
    assert post(safe_client, body, {k: v for k, v in query.items() if k != "msg_signature"}).status_code == 403
    body, query = encrypted_request(message("event", Event="subscribe"), app_id="wxsomebodyelse00000")
    assert post(safe_client, body, query).status_code == 403
    body, query = encrypted_request(message("event", Event="subscribe"),
                                    key="ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg")
    assert post(safe_client, body, query).status_code in (400, 403)  # garbage after decryption


def test_safe_mode_vets_the_decrypted_message_too(safe_client):
    body, query = encrypted_request(BILLION_LAUGHS)
    assert post(safe_client, body, query).status_code == 400
    body, query = encrypted_request("not xml at all")
    assert post(safe_client, body, query).status_code == 400


def test_safe_mode_refuses_an_envelope_that_cannot_be_decrypted(safe_client):
    nonce, timestamp = "112233", str(int(time.time()))
    garbage = "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0"
    msg_signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce, garbage])).encode()).hexdigest()
    query = signed(timestamp=timestamp, nonce=nonce, encrypt_type="aes", msg_signature=msg_signature)
    body = f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt>{garbage}</Encrypt></xml>"
    assert post(safe_client, body, query).status_code == 400
    no_encrypt = f"<xml><ToUserName>{ACCOUNT}</ToUserName></xml>"
    assert post(safe_client, no_encrypt, query).status_code == 400


def test_an_encrypted_message_without_a_configured_key_is_400(client):
    body, query = encrypted_request(message("event", Event="subscribe"))
    assert post(client, body, query).status_code == 400
    assert post(client, message("text", Content="x"), signed(encrypt_type="rot13")).status_code == 400
