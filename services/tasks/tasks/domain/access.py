"""Who may see and change contracts, tasks and reports: the institution that owns them, the
enterprise they concern, and regulators whose jurisdiction covers that enterprise."""
from emss_common.access import party_may_view, scope_query  # noqa: F401  (scope_query: re-exported)
from emss_common.actor import INSTITUTION_ADMIN, Actor, covers_district


def may_view(actor: Actor, record: dict) -> bool:
    return party_may_view(actor, record)


def may_edit(actor: Actor, record: dict) -> bool:
    return actor.has(INSTITUTION_ADMIN) and actor.institution_id == record.get("institution_id")


def may_review(actor: Actor, record: dict) -> bool:
    return covers_district(actor, record.get("district"))
