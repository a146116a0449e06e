"""Public pages: home and the 一网通办-style list of filed, published institutions."""
from flask import request

from ..auth import PUBLIC
from . import bp, page, render, services, attempt


@bp.get("/")
@page(PUBLIC)
def home(actor):
    return render("home.html")


@bp.get("/public/institutions")
@page(PUBLIC)
def public_institutions(actor):
    query = {k: v for k, v in request.args.items() if v}
    result, error = attempt(services().registry.public_institutions, query)
    if error:
        result = {"items": [], "total": 0, "page": 1, "size": 20}
    pages = max(1, -(-result["total"] // result["size"]))
    return render("public/institutions.html", result=result, query=query, error=error, pages=pages)
