"""The official account's menu, as data: what WeChat shows at the bottom of the chat, what the
callback answers when an entry is tapped, and which tiles the H5 home page (/wx/) offers a role.

Seeds 001/002/003: 业务管理 → 污染源运维 (field O&M staff fill in records; enterprises and reviewers
look at them), 采样任务 (testing institutions sample on site; the enterprise confirms before the
team leaves), and 我的信息 → 账户绑定/账户信息. Issue 11: 整改通知 → 整改单, where an institution's
main account sees the rectification orders (整改单) regulators sent it.
"""
from dataclasses import dataclass

from emss_common.actor import ENTERPRISE_USER, FIELD_STAFF, INSTITUTION_ADMIN, REVIEWER

ACCOUNT_NAME = "上海市环境监测社会化服务监管"

# Institution types (registry domain/institution.py) whose staff do O&M, and those that sample.
OM_TYPES = frozenset({"om", "testing_om", "self_testing_om_enterprise"})
SAMPLING_TYPES = frozenset({"testing", "testing_om", "self_testing_enterprise",
                            "self_testing_om_enterprise"})

HELP_KEY = "EMSS_HELP"


@dataclass(frozen=True)
class Entry:
    key: str            # the CLICK key, and a stable name for tests and templates
    name: str           # as WeChat shows it (at most 8 Chinese characters in a sub-menu)
    path: str | None    # the H5 page; None for a CLICK entry answered by the callback
    hint: str = ""      # one line under the tile on /wx/
    roles: frozenset = frozenset()           # who gets the tile on /wx/ (empty: nobody)
    institution_types: frozenset | None = None  # for institution roles: only these types

    def offered_to(self, roles, institution_type=None):
        matching = set(roles or ()) & self.roles
        if not matching:
            return False
        # Institution types limit institution roles; an enterprise user has no institution type.
        if self.institution_types is None or ENTERPRISE_USER in matching:
            return True
        return institution_type in self.institution_types


@dataclass(frozen=True)
class Group:
    name: str
    entries: tuple
    tiles: bool = True   # its entries are tiles of the H5 home (业务管理); 我的信息 has its own tab


MENU = (
    Group("业务管理", (
        Entry("WX_OM", "污染源运维", "/wx/om", "现场签到、运维记录填报",
              frozenset({FIELD_STAFF}), OM_TYPES),
        # Seed 002 also has the enterprise confirm sampling under 采样任务; /wx/sampling serves
        # field staff only for now, so the tile is theirs until that page admits enterprise users.
        Entry("WX_SAMPLING", "采样任务", "/wx/sampling", "现场采样签到与采样记录",
              frozenset({FIELD_STAFF}), SAMPLING_TYPES),
        Entry("WX_CONFIRM", "排污单位确认", "/wx/confirm", "当日运维记录签名确认",
              frozenset({ENTERPRISE_USER})),
        Entry("WX_CONFIRM_TRIPS", "采样行程确认", "/wx/confirm/trips", "采样人员离场后签名确认采样行程",
              frozenset({ENTERPRISE_USER})),
        Entry("WX_REVIEW", "运维审核", "/wx/review", "审核排污单位已确认的运维记录",
              frozenset({REVIEWER})),
    )),
    Group("整改通知", (
        Entry("WX_ORDERS", "整改单", "/wx/orders", "监管部门下发的整改单及整改期限",
              frozenset({INSTITUTION_ADMIN})),
    )),
    Group("我的信息", (
        Entry("WX_ME", "账户绑定", "/wx/me", "查看绑定的账户，绑定或解除绑定",
              frozenset({INSTITUTION_ADMIN, FIELD_STAFF, REVIEWER, ENTERPRISE_USER})),
        Entry(HELP_KEY, "使用帮助", None),
    ), tiles=False),
)

# WeChat's limits on a custom menu (公众号自定义菜单): 3 groups of at most 5 entries; names in
# bytes of UTF-8.
MAX_GROUPS, MAX_ENTRIES = 3, 5
MAX_GROUP_NAME_BYTES, MAX_ENTRY_NAME_BYTES = 16, 60
MAX_URL_BYTES, MAX_KEY_BYTES = 1024, 128


def entries():
    return [entry for group in MENU for entry in group.entries]


def by_key(key):
    return next((e for e in entries() if e.key == key), None)


def by_path(path):
    return next((e for e in entries() if e.path and e.path.rstrip("/") == (path or "").rstrip("/")), None)


def home_tiles(roles, institution_type=None):
    """The 业务管理 entries a person with these roles (at an institution of this type) can use."""
    return [e for group in MENU if group.tiles for e in group.entries if e.offered_to(roles, institution_type)]


def menu_json(base_url):
    """The body of WeChat's menu/create API: VIEW entries open our H5 pages at base_url."""
    base_url = base_url.rstrip("/")
    buttons = []
    for group in MENU:
        subs = []
        for entry in group.entries:
            if entry.path:
                subs.append({"type": "view", "name": entry.name, "url": base_url + entry.path})
            else:
                subs.append({"type": "click", "name": entry.name, "key": entry.key})
        buttons.append({"name": group.name, "sub_button": subs})
    menu = {"button": buttons}
    check_menu(menu)
    return menu


def check_menu(menu):
    """Raise ValueError naming what WeChat would refuse in this menu."""
    def size(text):
        return len(text.encode("utf-8"))

    buttons = menu.get("button", [])
    if not 1 <= len(buttons) <= MAX_GROUPS:
        raise ValueError(f"a menu has 1 to {MAX_GROUPS} groups, not {len(buttons)}")
    for group in buttons:
        if size(group["name"]) > MAX_GROUP_NAME_BYTES:
            raise ValueError(f"group name too long: {group['name']}")
        subs = group.get("sub_button", [])
        if not 1 <= len(subs) <= MAX_ENTRIES:
            raise ValueError(f"group {group['name']} has {len(subs)} entries (1 to {MAX_ENTRIES})")
        for sub in subs:
            if size(sub["name"]) > MAX_ENTRY_NAME_BYTES:
                raise ValueError(f"entry name too long: {sub['name']}")
            if sub["type"] == "view":
                if not sub["url"].startswith(("http://", "https://")) or size(sub["url"]) > MAX_URL_BYTES:
                    raise ValueError(f"entry {sub['name']} needs an absolute URL of at most "
                                     f"{MAX_URL_BYTES} bytes")
            elif sub["type"] == "click":
                if not sub.get("key") or size(sub["key"]) > MAX_KEY_BYTES:
                    raise ValueError(f"entry {sub['name']} needs a key of at most {MAX_KEY_BYTES} bytes")
            else:
                raise ValueError(f"entry {sub['name']}: unsupported type {sub['type']}")
