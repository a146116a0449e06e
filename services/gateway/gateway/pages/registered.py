"""The pages blueprint with every page module's routes on it. The modules import their helpers from
the package; the package does not import them back (no import cycle), this module does."""
from . import bp
from . import public, session, register, institution, regulator, enterprise, admin, devices  # noqa: F401
from . import tasks_pages, tasks_om, tasks_sampling  # noqa: F401  (contracts, O&M tasks, sampling tasks)
from . import field  # noqa: F401  (field work: WeChat H5 pages and record views)
from . import confirmation_pages  # noqa: F401  (enterprise confirmation, review, their portal view)
from . import trip_pages  # noqa: F401  (a sampling trip with its confirmation trail, portal)
from . import supervision_pages, orders_pages, inspections_pages  # noqa: F401  (credit: 非现场监管, 整改单, 考核管理)

__all__ = ["bp"]
