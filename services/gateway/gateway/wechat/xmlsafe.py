"""Vetting a WeChat XML body before wechatpy sees it.

wechatpy parses with xmltodict, whose expat parser expands entities declared in a DTD (billion
laughs). Every body, and every decrypted message, is parsed here first with defusedxml, which
refuses any DTD, entity declaration or external reference; only a small, flat document rooted
at <xml> gets through. WeChat's messages have at most two levels below <xml> and a few dozen
elements.
"""
from xml.etree.ElementTree import ParseError

import defusedxml
from defusedxml.ElementTree import fromstring

MAX_DEPTH = 4
MAX_ELEMENTS = 200


class UnsafeXml(ValueError):
    """Not XML, hostile XML, or XML that is not shaped like a WeChat message."""


def vet(data):
    """The parsed root element of `data` (bytes or str), or UnsafeXml."""
    if not data or not data.strip():
        raise UnsafeXml("empty body")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise UnsafeXml(f"forbidden XML construct: {type(exc).__name__}") from None
    except (ParseError, ValueError, UnicodeError, LookupError) as exc:
        raise UnsafeXml(f"not well-formed XML: {exc}") from None
    if root.tag != "xml":
        raise UnsafeXml("root element is not <xml>")
    count = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_ELEMENTS:
            raise UnsafeXml("too deep or too many elements for a WeChat message")
        stack.extend((child, depth + 1) for child in element)
    return root


def text_of(root, tag):
    """The text of a direct child of <xml>, or None."""
    child = root.find(tag)
    return None if child is None else (child.text or "")
