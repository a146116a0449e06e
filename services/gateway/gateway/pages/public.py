"""Public pages: home and the 一网通办-style list of filed, published institutions."""
from flask import request

from ..auth import PUBLIC
from . import CURSORS, attempt, bp, empty_page, page, render, services


@bp.get("/")
@page(PUBLIC)
def home(actor):
    return render("home.html")


@bp.get("/public/institutions")
@page(PUBLIC)
def public_institutions(actor):
    query = {k: v for k, v in request.args.items() if v and k not in CURSORS}
    at = {k: v for k, v in request.args.items() if v and k in CURSORS}
    result, error = attempt(services().registry.public_institutions, {**query, **at})
    if error:
        result = empty_page(20)
    return render("public/institutions.html", result=result, query=query, error=error)
