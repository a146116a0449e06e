"""Findings and actors for credit tests."""
from credit.supervision.findings import Evidence, Finding
from emss_common.actor import Actor


def finding(rule="OM_MISSED", key="occ-1", district="浦东新区", institution_id="i1", enterprise_id="e1",
            outlet_id="o1", **kw):
    values = dict(rule=rule, key=key, subject_kind="task", subject_id="t1", institution_id=institution_id,
                  enterprise_id=enterprise_id, outlet_id=outlet_id, district=district,
                  period_start="2026-11-16", period_end="2026-11-22",
                  summary="日常巡检应于11月22日前完成，未见运维记录", numbers={"missed": 1},
                  evidence=(Evidence("occurrence", key, "日常巡检 11月16日—11月22日", at="2026-11-22T23:59:59+08:00",
                                     link="/tasks/t1"),))
    values.update(kw)
    return Finding(**values)


def actor(username, roles, **kw):
    return Actor.from_dict({"account_id": f"a-{username}", "username": username, "roles": roles, **kw})


CITY = actor("shi", ["regulator"], district="*")
PUDONG = actor("pudong", ["regulator"], district="浦东新区")
MINHANG = actor("minhang", ["regulator"], district="闵行区")
INSTITUTION = actor("jigou1", ["institution_admin"], institution_id="i1")
OTHER_INSTITUTION = actor("jigou2", ["institution_admin"], institution_id="i2")
ENTERPRISE = actor("qiye1", ["enterprise_user"], enterprise_id="e1")
OTHER_ENTERPRISE = actor("qiye2", ["enterprise_user"], enterprise_id="e2")
ADMIN = actor("admin", ["sysadmin"])
