"""The catalogue of the 15 field-record forms (catalogue/forms.yaml), shared by every service
that plans, files or checks O&M work. Defaults can be overridden by a file in EMSS_FORMS_CATALOGUE."""
import os
from functools import lru_cache
from importlib import resources

import yaml


@lru_cache(maxsize=4)
def catalogue(path=None):
    path = path or os.environ.get("EMSS_FORMS_CATALOGUE")
    if path:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    text = resources.files("emss_common").joinpath("catalogue/forms.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def forms():
    return catalogue()["forms"]


def form(kind):
    return forms().get(kind)


def forms_for(outlet_kind):
    return {k: f for k, f in forms().items() if f["outlet_kind"] == outlet_kind}


def fmt(x):
    """A number as a person writes it: 2.5, not 2.5000000001 nor 2.50 (the forms' messages and the
    pages that show their values write numbers the same way)."""
    if isinstance(x, bool):
        return "是" if x else "否"
    if not isinstance(x, (int, float)):
        return str(x)
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
