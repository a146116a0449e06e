"""Typed errors that cross RPC as themselves (nameko re-raises registered types at the caller).

Each carries a machine code, a Chinese message for the user and, where one field is at fault,
the field's name, so the gateway can answer {"error": {"code", "message", "field"}}.
"""
import logging

from nameko.exceptions import deserialize_to_instance


class EmssError(Exception):
    code = "error"
    http_status = 500

    def __init__(self, message, field=None, details=None):
        # nameko sends exc.args to the caller and turns None into the text "None" on the way:
        # an absent field or details travels as "" and is read back as None.
        super().__init__(message, field or "", "" if details is None else details)

    # Read from (and written to) args, so a field set after construction crosses RPC too.
    message = property(lambda self: self.args[0],
                       lambda self, value: self._set_arg(0, value))
    field = property(lambda self: self.args[1] or None,
                     lambda self, value: self._set_arg(1, value or ""))
    details = property(lambda self: None if self.args[2] == "" else self.args[2],
                       lambda self, value: self._set_arg(2, "" if value is None else value))

    def _set_arg(self, index, value):
        args = list(self.args)
        args[index] = value
        self.args = tuple(args)

    def __str__(self):
        return f"{self.field}: {self.message}" if self.field else self.message

    def to_dict(self):
        body = {"code": self.code, "message": self.message, "field": self.field}
        if self.details:
            body["details"] = self.details
        return body


@deserialize_to_instance
class ValidationFailed(EmssError):
    code = "validation_failed"
    http_status = 400

    @classmethod
    def from_marshmallow(cls, messages, prefix=""):
        """Name the first failing field (dotted path) and keep all messages as details."""
        path, text = _first_error(messages, prefix)
        return cls(text, field=path or None, details=messages)


@deserialize_to_instance
class NotAuthenticated(EmssError):
    code = "not_authenticated"
    http_status = 401


@deserialize_to_instance
class Forbidden(EmssError):
    code = "forbidden"
    http_status = 403


@deserialize_to_instance
class NotFound(EmssError):
    code = "not_found"
    http_status = 404


@deserialize_to_instance
class Conflict(EmssError):
    code = "conflict"
    http_status = 409


@deserialize_to_instance
class InvalidTransition(EmssError):
    code = "invalid_transition"
    http_status = 409


def _first_error(messages, prefix):
    if isinstance(messages, dict):
        for key in sorted(messages, key=str):
            value = messages[key]
            name = str(key)
            path = name if name == "_schema" else (f"{prefix}.{name}" if prefix else name)
            if name == "_schema":
                path = prefix
            return _first_error(value, path)
    if isinstance(messages, list) and messages:
        first = messages[0]
        if isinstance(first, (dict, list)):
            return _first_error(first, prefix)
        return prefix, str(first)
    return prefix, str(messages)


class ExpectedErrorsAtInfo(logging.Filter):
    """nameko logs an RPC's expected exception as a WARNING with its traceback. One the caller
    caused (a 4xx: bad input, not found, forbidden, conflict) is routine: one line at INFO, so the
    tracebacks left in the log are those of real failures."""

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, EmssError) and exc.http_status < 500:
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            record.exc_info, record.exc_text = None, None
        return True


def log_expected_errors_at_info(logger_name="nameko.containers"):
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, ExpectedErrorsAtInfo) for f in logger.filters):
        logger.addFilter(ExpectedErrorsAtInfo())


# Installed wherever these errors exist: every service process imports this module.
log_expected_errors_at_info()
