"""Credential positions in XML bodies: SOAP, XML-RPC, Atom, storage APIs.

An element's text is a credential position when the path of element names down to it is
one in JSON (:func:`~pytest_bss.catalogue.json_credential_kind`): ``<password>``,
``<sessionToken>``, ``<vcSessionCookie>``, ``<apiKey><value>…</value></apiKey>``; an
attribute when its own name is (``<Credentials password="…"/>``). XML-RPC's
``<member><name>password</name><value><string>…</string></value></member>`` is read as the
field it stands for. Namespace prefixes are dropped (``<ns1:password>`` is ``password``).

The text is read with a tokenizer, not an XML parser: no entity is expanded (no
"billion laughs"), nothing is fetched, a document that is not well-formed is still read,
and every value comes with its place in the text, so :mod:`pytest_bss.scrub` can replace
it where it stands. HTML is not read this way (its ``data-token`` attributes and form
markup are no credentials; its links are read as URLs elsewhere).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Final

from .catalogue import (
    OWN_PLACEHOLDERS,
    is_placeholder_value,
    json_credential_kind,
    secret_field_kind,
    value_field_kind,
)

__all__ = ["escape_placeholders", "looks_like_html_page", "looks_like_xml", "xml_credentials"]

_NAME: Final = r"[A-Za-z_][\w.\-]*"
#: One markup token: a tag (start, end or empty), CDATA, a comment, a declaration.
# An attribute value may hold ">" but never "<"; a construct left open ends the text (so a
# run of unclosed "<?" or "<!--" is read once, not once for each).
_TOKEN: Final = re.compile(
    rf"<(?P<close>/)?(?:{_NAME}:)?(?P<name>{_NAME})"
    r"(?P<attrs>(?:\s(?:[^<>\"'/]|\"[^\"<]*\"|'[^'<]*')*)?)(?P<empty>/)?>"
    r"|<!\[CDATA\[(?P<cdata>.*?)(?:\]\]>|\Z)"
    r"|<!--.*?(?:-->|\Z)|<\?.*?(?:\?>|\Z)|<![^<>]*>",
    re.S,
)
# A name only where one starts (not inside a longer name: no quadratic retries).
_ATTRIBUTE: Final = re.compile(
    rf"(?<![\w.:\-])(?:{_NAME}:)?(?P<name>{_NAME})\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)')"
)
_MARKUP_START: Final = re.compile(r"[\ufeff\s]*<[A-Za-z?!]")
_HTML_ROOT: Final = re.compile(r"<(?:!doctype\s+html|html)\b", re.I)


def _root(text: str) -> int | None:
    """Where the root element of a markup ``text`` starts (comments before it skipped), or
    ``None`` if ``text`` does not start like markup."""
    if _MARKUP_START.match(text) is None:
        return None
    at = len(text) - len(text.lstrip("\ufeff \t\r\n"))
    while text.startswith("<!--", at):  # comments before the root: skipped, never copied
        end = text.find("-->", at)
        if end < 0:
            return None
        at = end + 3
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
    return at


def looks_like_xml(text: str) -> bool:
    """Whether ``text`` is an XML document (not HTML) by its start: cheap, no parse."""
    if _MARKUP_START.match(text) is None or ("</" not in text and "/>" not in text):
        return False
    at = _root(text)
    return at is not None and _HTML_ROOT.match(text, at) is None


def looks_like_html_page(text: str) -> bool:
    """Whether ``text`` is an HTML page: it starts as one (``<!DOCTYPE html>``, ``<html>``,
    after comments) and has a ``<head>`` or a ``<body>`` (not a text that only starts
    with ``<html>``, such as a configuration file behind a stray tag). Cheap, no parse."""
    at = _root(text)
    if at is None or _HTML_ROOT.match(text, at) is None:
        return False
    return _PAGE_PART.search(text, at) is not None


_PAGE_PART: Final = re.compile(r"<(?:head|body)[\s>]", re.I)


def xml_credentials(text: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, kind, value) of every credential element text and attribute value in
    an XML ``text`` that holds no placeholder; ``value`` has its entities undone, and
    ``text[start:end]`` is what stands for it in the text."""
    stack: list[str] = []
    open_end = -1  # where the text of the innermost open element starts, if it is a leaf
    rpc_name: str | None = None  # XML-RPC: the <name> of the <member> being read
    for match in _TOKEN.finditer(text):
        name = match["name"]
        if name is None:
            continue  # CDATA, a comment, a declaration: part of the element's text
        if match["close"]:
            if open_end >= 0 and stack and stack[-1] == name:
                raw = text[open_end : match.start()]
                value = _content(raw)
                if stack[-2:] == ["member", "name"]:
                    rpc_name = value
                elif value:
                    start = open_end + len(raw) - len(raw.lstrip())
                    end = open_end + len(raw.rstrip())
                    yield from _element(stack, rpc_name, start, end, value)
            if name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name) :]
            if name == "member":
                rpc_name = None
            open_end = -1
            continue
        attrs = match["attrs"] or ""
        for attribute in _ATTRIBUTE.finditer(attrs):
            kind = secret_field_kind(attribute["name"])
            group = "dq" if attribute["dq"] is not None else "sq"
            value = html.unescape(attribute[group])
            if kind is not None and _photo_secret(name, attribute["name"], value, attrs):
                continue
            if kind is not None and not is_placeholder_value(value, kind=kind):
                offset = match.start("attrs")
                yield offset + attribute.start(group), offset + attribute.end(group), kind, value
        if match["empty"]:
            continue  # <br/>: the element around it is still read as text
        stack.append(name)
        open_end = match.end()


#: Flickr's photo secret: 10 hex digits (``<photo id="…" secret="7e49d9ae15" server="8178"
#: farm="9" originalsecret="…">``).
_PHOTO_SECRET: Final = re.compile(r"[0-9a-f]{10}")


def _photo_secret(element: str, name: str, value: str, attrs: str) -> bool:
    """Whether an attribute is the ``secret`` / ``originalsecret`` of a public Flickr
    photo: a ``<photo>`` with ``server`` and ``farm`` attributes, not marked private
    (``ispublic="0"``). It is part of the photo's public static URL
    (``live.staticflickr.com/{server}/{id}_{secret}.jpg``), not an account's secret; a
    private photo's secret is what keeps its URL private, and stays a credential."""
    if element != "photo" or name.lower() not in ("secret", "originalsecret"):
        return False
    if _PHOTO_SECRET.fullmatch(value) is None:
        return False
    names = {
        attribute["name"].lower(): attribute["dq"]
        if attribute["dq"] is not None
        else attribute["sq"]
        for attribute in _ATTRIBUTE.finditer(attrs)
    }
    return "server" in names and "farm" in names and names.get("ispublic") != "0"


_MARKUP_IN_TEXT: Final = re.compile(
    r"<!\[CDATA\[(?P<cdata>.*?)(?:\]\]>|\Z)|<!--.*?(?:-->|\Z)|<\?.*?(?:\?>|\Z)|<[^<>]*>", re.S
)


def _content(raw: str) -> str:
    """An element's text: entities undone, CDATA unwrapped, comments and empty elements
    left out (a scrubber replaces the whole span, markup and all)."""
    if "<" not in raw:
        return html.unescape(raw.strip())
    parts, last = [], 0
    for match in _MARKUP_IN_TEXT.finditer(raw):
        parts.append(html.unescape(raw[last : match.start()]))
        if match["cdata"] is not None:
            parts.append(match["cdata"])
        last = match.end()
    parts.append(html.unescape(raw[last:]))
    return "".join(parts).strip()


def _element(
    stack: list[str], rpc_name: str | None, start: int, end: int, value: str
) -> Iterator[tuple[int, int, str, str]]:
    path: tuple[str, ...] = tuple(stack)
    if rpc_name is not None and "value" in stack:
        # XML-RPC: <member><name>password</name><value><string>…</string></value></member>
        path = (rpc_name,)
    kind = json_credential_kind(path) or value_field_kind(path[-1], value)
    if kind is not None and not is_placeholder_value(value, kind=kind):
        yield start, end, kind, value


def escape_placeholders(text: str) -> str:
    """Our placeholders (``<BSS_PASSWORD>``) written into an XML text, escaped so that it
    stays well-formed (``&lt;BSS_PASSWORD&gt;``, which reads back as the placeholder)."""
    return OWN_PLACEHOLDERS.sub(r"&lt;\1&gt;", text)
