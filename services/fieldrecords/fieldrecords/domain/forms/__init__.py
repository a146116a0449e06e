"""The 15 field-record forms: one catalogue (emss_common catalogue/forms.yaml), one pipeline.

    evaluate(kind, content, devices, limit=lambda key, default: default, complete=True)
        → {"content": normalized, "computed": {...}, "verdict": {...} | None}
      (complete=False is a draft: nothing required, no verdict unless preview=True)
    describe(kind, device=None) → what the pages render
    LIMIT_KEYS = {limit key: catalogue default}
"""
from .conditions import CatalogueError
from .describe import describe, describe_spec
from .model import collect_limits, default_specs, load_specs, spec_for
from .pipeline import default_limit, evaluate, evaluate_spec

LIMIT_KEYS = collect_limits(default_specs().values())

__all__ = ["evaluate", "describe", "LIMIT_KEYS", "evaluate_spec", "describe_spec", "load_specs",
           "spec_for", "default_limit", "CatalogueError"]
