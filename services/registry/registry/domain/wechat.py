"""Who may bind a WeChat user (openid) to their EMSS account, and how an openid is shown.

The WeChat official account serves the people who work on site or confirm on site (seeds 001,
002, 003): institution accounts (main account, field staff, reviewers) and enterprise accounts.
Regulators and system administrators work in the web portal only: a WeChat binding logs in
without a password, which is not acceptable for accounts that see a whole district or the system.
"""
import re

from .roles import (ENTERPRISE_USER, FIELD_STAFF, INSTITUTION_ADMIN, REGULATOR, REVIEWER,
                    SYSADMIN)

BINDABLE_ROLES = frozenset({INSTITUTION_ADMIN, FIELD_STAFF, REVIEWER, ENTERPRISE_USER})
PORTAL_ONLY_ROLES = frozenset({REGULATOR, SYSADMIN})

# WeChat openids are 28 characters of [A-Za-z0-9_-]; other lengths are allowed for the simulator
# and for future formats, but nothing that could be mistaken for markup or a query.
OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


def may_bind_wechat(roles) -> bool:
    roles = set(roles or ())
    return bool(roles & BINDABLE_ROLES) and not roles & PORTAL_ONLY_ROLES


def openid_hint(openid: str) -> str:
    """Enough of an openid to tell two bindings apart in an audit trail, not enough to reuse it."""
    if len(openid) <= 8:
        return openid[:2] + "*" * (len(openid) - 2)
    return openid[:4] + "*" * (len(openid) - 8) + openid[-4:]
