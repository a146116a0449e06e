"""The API blueprint and route table with every route module's routes on them. The modules import
`route` from the package; the package does not import them back (no import cycle), this module does."""
from . import ROUTES, bp
from . import accounts, institutions, enterprises, tasks, fieldrecords, confirmation  # noqa: F401
from . import supervision, orders  # noqa: F401  (credit: supervision; rectification orders, inspections)

__all__ = ["ROUTES", "bp"]
