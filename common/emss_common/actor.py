"""Who is acting: the actor the gateway resolved from a session, and the role names.

Shared by every service; each service decides in its own domain what an actor may touch.
Services never trust a client-sent id for scope: they compare the actor's own institution,
enterprise or district with the record's.
"""
from dataclasses import dataclass, field

INSTITUTION_ADMIN = "institution_admin"   # 机构主账户
FIELD_STAFF = "field_staff"               # 运维人员
REVIEWER = "reviewer"                     # 运维审核
ENTERPRISE_USER = "enterprise_user"       # 排污单位
REGULATOR = "regulator"                   # 监管方
SYSADMIN = "sysadmin"                     # 系统管理员

ROLE_LABELS = {
    INSTITUTION_ADMIN: "机构主账户",
    FIELD_STAFF: "运维人员",
    REVIEWER: "运维审核",
    ENTERPRISE_USER: "排污单位",
    REGULATOR: "监管方",
    SYSADMIN: "系统管理员",
}

SUB_ACCOUNT_ROLES = (FIELD_STAFF, REVIEWER)
WHOLE_CITY = "*"

DISTRICTS = (
    "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区",
    "宝山区", "嘉定区", "浦东新区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区",
)


@dataclass(frozen=True)
class Actor:
    account_id: str | None
    username: str
    roles: frozenset = field(default_factory=frozenset)
    institution_id: str | None = None
    enterprise_id: str | None = None
    district: str | None = None
    staff_id: str | None = None
    name: str | None = None

    @classmethod
    def from_dict(cls, data):
        if not data:
            return ANONYMOUS
        return cls(
            account_id=data.get("account_id"),
            username=data.get("username") or "",
            roles=frozenset(data.get("roles") or ()),
            institution_id=data.get("institution_id"),
            enterprise_id=data.get("enterprise_id"),
            district=data.get("district"),
            staff_id=data.get("staff_id"),
            name=data.get("name"),
        )

    def to_dict(self):
        return {
            "account_id": self.account_id, "username": self.username,
            "roles": sorted(self.roles), "institution_id": self.institution_id,
            "enterprise_id": self.enterprise_id, "district": self.district,
            "staff_id": self.staff_id, "name": self.name,
        }

    def has(self, *roles):
        return bool(self.roles.intersection(roles))

    @property
    def is_anonymous(self):
        return not self.roles


ANONYMOUS = Actor(account_id=None, username="anonymous")


def covers_district(actor: Actor, district: str | None) -> bool:
    """A regulator's jurisdiction: the whole city, or one district. A regulator with no district
    set covers nothing (not even what has no district)."""
    return actor.has(REGULATOR) and bool(actor.district) and actor.district in (WHOLE_CITY, district)
