"""The portal page of one sampling trip (采样行程详情, seed 002): what the sampling team did on site as
fieldrecords keeps it (check-ins, flags, samples, 采样工况, photos, signature) and the enterprise's
confirmation with its trail as the confirmation service keeps it.

Both services decide who sees the trip: the institution, the enterprise, regulators of its
district and administrators; for anyone else fieldrecords answers NotFound (the 404 page).
"""
from emss_common.errors import NotFound

from . import bp, page, render, services
from .confirmation_pages import point_names_of
from .tasks_pages import READERS


def confirmation_state(actor, trip_id):
    """The trip's confirmation status, trail and acts; None while confirmation does not know the
    trip (still on site, or its departure not yet received)."""
    try:
        return services().confirmation.get_trip(actor, trip_id)
    except NotFound:
        return None


@bp.get("/portal/sampling-trips/<trip_id>")
@page(READERS)
def portal_sampling_trip(actor, trip_id):
    trip = services().fieldrecords.get_trip(actor, trip_id)
    photos = {p["id"]: p for p in trip.get("photos") or []}

    def of(ids):  # a sample's or the conditions' photos, among the trip's own
        return [photos[i] for i in ids or [] if i in photos]
    return render("sampling/trip.html", tab="sampling", trip=trip,
                  sample_photos=[of(s.get("photo_ids")) for s in trip.get("samples") or []],
                  condition_photos=of((trip.get("conditions") or {}).get("photo_ids")),
                  point_names=point_names_of(actor, trip), state=confirmation_state(actor, trip_id))
