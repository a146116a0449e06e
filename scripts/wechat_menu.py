"""Print the official account's custom menu (gateway/wechat/menu.py) as WeChat's menu JSON and,
with --push, install it on the account through WeChat's API (wechatpy's client).

    python scripts/wechat_menu.py --base-url https://emss.example.gov.cn
    WECHAT_APP_ID=wx… WECHAT_APP_SECRET=… python scripts/wechat_menu.py --base-url https://… --push

The base URL is where people reach the gateway (EMSS_PUBLIC_URL by default); WeChat requires
it to be a domain registered for the account (网页授权域名 / JS接口安全域名).
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "services", "gateway"))
sys.path.insert(0, os.path.join(ROOT, "common"))

from gateway.wechat.menu import menu_json  # noqa: E402


def main(argv=None, env=None):
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=env.get("EMSS_PUBLIC_URL"),
                        help="https://… where the gateway is reached (default: EMSS_PUBLIC_URL)")
    parser.add_argument("--push", action="store_true",
                        help="install the menu with WECHAT_APP_ID and WECHAT_APP_SECRET")
    args = parser.parse_args(argv)
    if not args.base_url or not args.base_url.startswith(("http://", "https://")):
        parser.error("--base-url (or EMSS_PUBLIC_URL) must be an absolute http(s) URL")
    menu = menu_json(args.base_url)
    print(json.dumps(menu, ensure_ascii=False, indent=2))
    if args.push:
        app_id, secret = env.get("WECHAT_APP_ID"), env.get("WECHAT_APP_SECRET")
        if not app_id or not secret:
            parser.error("--push needs WECHAT_APP_ID and WECHAT_APP_SECRET")
        from wechatpy import WeChatClient
        WeChatClient(app_id, secret).menu.create(menu)
        print("menu installed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
