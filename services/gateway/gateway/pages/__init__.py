"""Server-rendered pages (Jinja2, Chinese UI, phone-friendly, no front-end build step).

Pages call the same services as the API with the same role checks; a form error re-renders the
form with the message next to the field it names.
"""
import time

from flask import Blueprint, current_app, render_template, request

from emss_common.errors import EmssError

from ..auth import csrf_token, current_actor, requires

bp = Blueprint("pages", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/static")

_reference = {"at": 0.0, "data": None}


def services():
    return current_app.extensions["emss_services"]


def reference():
    """Code tables from the registry, cached for a minute."""
    if _reference["data"] is None or time.monotonic() - _reference["at"] > 60:
        _reference["data"] = services().registry.reference()
        _reference["at"] = time.monotonic()
    return _reference["data"]


# Pages are guarded exactly like API routes: roles, then CSRF on cookie-session form posts.
page = requires


def render(template, **context):
    return render_template(template, actor=current_actor(), csrf_token=csrf_token(),
                           ref=reference(), **context)


def form_payload(form=None, lists=(), booleans=(), numbers=()):
    """Form fields → nested payload: "certificate.valid_until" becomes {"certificate": {...}};
    empty text becomes None so optional fields stay optional."""
    form = form if form is not None else request.form
    out = {}
    for key in form.keys():
        if key == "csrf_token":
            continue
        value = form.getlist(key) if key in lists else form.get(key)
        if key in booleans:
            value = value in ("1", "true", "on", "yes")
        elif key in numbers:
            value = _number(value)
        elif isinstance(value, str):
            value = value.strip() or None
        _put(out, key.split("."), value)
    for key in booleans:
        if key not in form:
            _put(out, key.split("."), False)
    for key in lists:
        if key not in form:
            _put(out, key.split("."), [])
    return out


def _number(value):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return float(value) if any(c in value for c in ".eE") else int(value)
    except ValueError:
        return value  # let the service name the field


def _put(out, path, value):
    for part in path[:-1]:
        out = out.setdefault(part, {})
    out[path[-1]] = value


CURSORS = ("after", "before")


def cursor_args():
    """Where a keyset list is (下一页 after=…, 上一页 before=…); the owning service checks them."""
    return {k: request.args[k] for k in CURSORS if request.args.get(k)}


def empty_page(size):
    """A list that could not be read, shaped like one that was (the error is shown above it)."""
    return {"items": [], "total": 0, "total_capped": False, "size": size, "next": None, "prev": None}


def attempt(fn, *args):
    """Run a service call for a form; (result, None) or (None, error) to show beside the field."""
    try:
        return fn(*args), None
    except EmssError as exc:
        return None, exc



@bp.app_context_processor
def _endpoints():
    return {"config_endpoints": set(current_app.view_functions)}


@bp.app_template_filter("shanghai")
def shanghai(value, fmt="%Y-%m-%d %H:%M"):
    """Times are stored in UTC and shown in Asia/Shanghai."""
    from emss_common.clock import as_utc, to_shanghai
    if not value:
        return "—"
    if isinstance(value, str) and len(value) == 10:
        return value  # a date, not a moment
    return to_shanghai(as_utc(value)).strftime(fmt)


def flat_errors(error):
    """Every field an error names → its message: the error's own field first, then the details
    (marshmallow's nested messages, or the registry's list of {field, message} problems)."""
    out = {}
    if error is None:
        return out

    def walk(node, path):
        if isinstance(node, dict):
            if set(node) >= {"field", "message"} and isinstance(node.get("message"), str):
                out.setdefault(node["field"] or "", node["message"])
                return
            for key, value in node.items():
                key = str(key)
                if key == "_schema" or key.isdigit():  # a whole-object or list-item message
                    walk(value, path)
                else:
                    walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item, path)
        elif node is not None and path:
            out.setdefault(path, str(node))

    if getattr(error, "field", None):
        out[error.field] = error.message
    walk(getattr(error, "details", None), "")
    return out


def error_for(error, name):
    """The message to show beside form field `name`, or None. A field also answers for the
    error's dotted name ending in it ("payload.name" for a field "name")."""
    if error is None:
        return None
    for path, message in flat_errors(error).items():
        if path and (path == name or path.endswith("." + name)):
            return message
    return None


def pick(values, dotted, default=None):
    """values["a"]["b"] for "a.b", tolerating missing levels."""
    node = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return default if node is None else node


@bp.app_template_filter("zip_self")
def zip_self(values):
    """["黄浦区", ...] → [("黄浦区", "黄浦区"), ...]: options whose value is their label."""
    return [(v, v) for v in values]


@bp.app_template_filter("mask_id")
def mask_id(value):
    """A resident ID shown in lists: region and last four digits only."""
    value = str(value or "")
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else value


@bp.app_template_filter("num")
def num(value):
    from .labels import number
    return number(value)


@bp.record_once
def _template_globals(state):
    # Globals, not a context processor: imported macro files ({% import %}) see them too.
    from .labels import AUDIT_ACTIONS, field_label, show_value
    state.app.jinja_env.globals.update(error_for=error_for, flat_errors=flat_errors, pick=pick,
                                       field_label=field_label,
                                       show_value=show_value, audit_actions=AUDIT_ACTIONS)

