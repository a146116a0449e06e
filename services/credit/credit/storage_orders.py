"""Collections of rectification orders and inspections (merged into the service's INDEXES).

Their files (answers' evidence, inspection photos) live in GridFS buckets of the credit store, as the
tasks service keeps report files (emss_common.files.FileStore)."""
from emss_common.outbox import carries_events
from emss_common.store import Index, merge_indexes

ORDERS, INSPECTIONS = "orders", "inspections"
ORDER_FILES, INSPECTION_FILES = "order_files", "inspection_files"
ORDER_COUNTERS = "order_counters"

ORDER_INDEXES = merge_indexes({
    ORDERS: [Index([("id", 1)], unique=True), Index([("number", 1)], unique=True),
             # lists: scope (district / addressee) then newest first
             Index([("issued_at", -1), ("id", 1)], name="orders_city_list"),
             Index([("district", 1), ("issued_at", -1), ("id", 1)], name="orders_district_list"),
             Index([("institution_id", 1), ("issued_at", -1), ("id", 1)], name="orders_institution_list"),
             Index([("enterprise_id", 1), ("issued_at", -1), ("id", 1)], name="orders_enterprise_list"),
             Index([("warning_ids", 1)], name="orders_by_warning"),
             # the overdue sweep: waiting for the addressee, not yet marked, due before today
             Index([("overdue", 1), ("status", 1), ("due", 1)], name="orders_overdue_sweep"),
             # warning steps an order's step still owes (usecases/orders.follow_up): only those hold one
             Index([("warning_follow_ups.warning_id", 1)], sparse=True, name="orders_follow_ups")],
    INSPECTIONS: [Index([("id", 1)], unique=True),
                  Index([("inspected_on", -1), ("id", 1)], name="inspections_city_list"),
                  Index([("district", 1), ("inspected_on", -1), ("id", 1)], name="inspections_district_list"),
                  Index([("institution_id", 1), ("inspected_on", -1), ("id", 1)],
                        name="inspections_institution_list"),
                  Index([("enterprise_id", 1), ("inspected_on", -1), ("id", 1)], name="inspections_enterprise_list"),
                  Index([("outlet_id", 1), ("inspected_on", -1), ("id", 1)], name="inspections_outlet_list"),
                  # findings recorded but not yet raised (usecases/inspections.raise_findings)
                  Index([("findings_pending", 1)], sparse=True, name="inspections_findings_pending")],
    ORDER_COUNTERS: [Index([("name", 1)], unique=True)],
}, carries_events(ORDERS, INSPECTIONS))
