"""Personal data in recorded messages: pseudonymise a response, find what is left.

Pure functions over vcrpy's serialized request and response dicts (as the write path's
normalise stage leaves them). A JSON response body is walked with its keys (the field
list of :mod:`.fields`); every other string, and a body that is not JSON, is searched as
free text (:mod:`.detect`). A changed JSON body is written back in the layout it had
(compact or spaced separators, ASCII escapes or not).

Requests are the test's own data: they are neither pseudonymised nor checked, and every
value a request holds (query and form values, path segments, JSON strings) is kept
wherever a response repeats it, so "create, read back, assert the name" tests work.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from ..decoding import (
    JsonObject,
    body_text,
    is_json,
    load_json,
    looks_like_json,
    message_body,
    replace_body,
    sub_json,
)
from .detect import (
    GATED_KINDS,
    find_in_text,
    is_card_number,
    is_iban,
    is_pseudonym_iban,
    is_test_card,
)
from .fields import KeyRules, Kind, field_key
from .pseudonyms import Pseudonymiser

__all__ = [
    "Finding",
    "PersonalPolicy",
    "find_personal",
    "pseudonymise_interactions",
    "pseudonymise_response",
    "sent_values",
]

#: Headers never searched: they hold dates, lengths, types and the like.
_SKIPPED_HEADERS: Final = frozenset(
    {"content-length", "content-type", "date", "expires", "etag", "last-modified"}
)


@dataclass(frozen=True)
class PersonalPolicy:
    """Whether personal data is pseudonymised (``bss_personal_data``), and which fields."""

    enabled: bool = True
    rules: KeyRules = field(default_factory=KeyRules)


@dataclass(frozen=True)
class Finding:
    """Personal data found where none may be: a place (never the value) and its kind."""

    place: str
    kind: Kind

    def __str__(self) -> str:
        return f"{self.place} ({_KIND_WORDS.get(self.kind, self.kind.value)})"


_KIND_WORDS: Final = {
    Kind.EMAIL: "an e-mail address outside the reserved domains",
    Kind.IBAN: "an IBAN with a valid checksum",
    Kind.CARD: "a Luhn-valid card number outside the test ranges",
    Kind.PHONE: "a phone number",
}


# --- what the test sent ---------------------------------------------------------------


def sent_values(request: Mapping[str, Any]) -> set[str]:
    """Every value ``request`` carries: query and form values, path segments, JSON strings."""
    values: set[str] = set()
    uri = str(request.get("uri") or "")
    parts = urlsplit(uri)
    values.update(unquote(segment) for segment in parts.path.split("/") if segment)
    values.update(value for _, value in parse_qsl(parts.query, keep_blank_values=False))
    body = request.get("body")
    if isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return values
    if isinstance(body, str) and body:
        if is_json(body):
            values.update(_json_strings(json.loads(body)))
        elif "=" in body:
            values.update(value for _, value in parse_qsl(body))
        values.add(body)
    return {value for value in values if value}


def _json_strings(node: Any) -> Iterator[str]:
    return (str(leaf) for leaf in _leaves(node))


# --- pseudonymising -------------------------------------------------------------------


@dataclass
class _Rewriter:
    pseudonymiser: Pseudonymiser
    rules: KeyRules
    sent: frozenset[str] | set[str]
    count: int = 0

    def field(self, kind: Kind, value: str) -> str:
        if value in self.sent or self.pseudonymiser.is_pseudonym(value) or _safe(kind, value):
            return value
        new = self.pseudonymiser.pseudonym(kind, value)
        if new != value:
            self.count += 1
        return new

    def text(self, value: str) -> str:
        matches = find_in_text(value)
        if not matches:
            return value
        out, last = [], 0
        for match in matches:
            found = match.value(value)
            if found in self.sent or self.pseudonymiser.is_pseudonym(found):
                continue
            out.append(value[last : match.start])
            out.append(self.field(match.kind, found))
            last = match.end
        out.append(value[last:])
        return "".join(out)

    def string(self, value: str) -> str:
        """A string of unknown kind: JSON in it is walked with its keys, else free text."""
        return self.body(value) if _holds_json(value) else self.text(value)

    def number(self, kind: Kind | None, value: Any) -> Any:
        """A JSON number: a card number (anywhere), or one in a card or phone field."""
        digits = _integral(value)
        if digits is None:
            return value
        if kind not in (Kind.CARD, Kind.PHONE):
            if not (is_card_number(digits) and not is_test_card(digits)):
                return value
            kind = Kind.CARD
        new = self.field(kind, digits)
        if new == digits or not new.isdigit():
            return value
        return type(value)(int(new))

    def json(self, node: Any, path: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            beside = "name" in node and any(  # only a "name" reads it
                key != "name"
                and (
                    self.rules.kind((*path, key))
                    or (isinstance(item, dict) and field_key(key).endswith("address"))
                )
                for key, item in node.items()
            )
            out = {}
            for key, item in node.items():
                key = self.text(key) if _may_hold_personal(key) else key  # an e-mail as a key
                where = (*path, key)
                if self.rules.is_kept(where):
                    out[key] = item
                elif isinstance(item, str):
                    kind = self.rules.kind(where, beside_personal=beside)
                    out[key] = self.field(kind, item) if kind else self.string(item)
                elif isinstance(item, dict | list):
                    out[key] = self.json(item, where)
                else:
                    out[key] = self.number(self.rules.kind(where, beside_personal=beside), item)
            return out
        if isinstance(node, list):
            return [self.json(item, path) for item in node]
        if isinstance(node, str):
            return self.string(node)
        return self.number(None, node)

    def body(self, text: str) -> str:
        loaded = _load_json(text)
        if loaded is None:
            return self.text(text)
        document, duplicates = loaded
        if duplicates:
            # A parser keeps one value of a duplicate key: the other would go unseen. The
            # text is searched as free text instead (names are not found there).
            return self.text(text)
        before = self.count
        new = self.json(document, ())
        return text if self.count == before else _rewrite_like(text, document, new)


def _safe(kind: Kind, value: str) -> bool:
    """Whether ``value`` is already no one's: a pseudonymous IBAN (made under any key), a
    test card number."""
    if kind is Kind.IBAN:
        return is_iban(value) and is_pseudonym_iban(value)
    if kind is Kind.CARD:
        return is_card_number(value) and is_test_card(value)
    return False


def _holds_json(value: str) -> bool:
    return value.lstrip()[:1] in ("{", "[") and is_json(value)


def _integral(value: Any) -> str | None:
    """The digits of a whole JSON number of 13 or more digits (a card's length), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not (value.is_integer() and abs(value) < 1e19):
        return None
    digits = str(int(value))
    return digits if digits.isdigit() and len(digits) >= 7 else None


def _rewrite_like(original: str, document: Any, new: Any) -> str:
    """``original`` with only the values that changed from ``document`` to ``new`` rewritten:
    numbers, escapes, spacing and key order stay as they were. A document with a duplicate
    key (the parsed one holds one of its values) is written out again instead."""
    old_leaves, new_leaves = list(_leaves(document)), list(_leaves(new))
    if len(old_leaves) != len(new_leaves):
        return _dump_like(original, document, new)
    pairs = iter(zip(old_leaves, new_leaves, strict=True))

    old_keys, new_keys = list(_keys(document)), list(_keys(new))
    if old_keys != new_keys:  # a key was pseudonymised: written out again
        return _dump_like(original, document, new)

    def rewrite(path: tuple[str | None, ...], token: str, is_key: bool) -> str:
        if is_key:
            return token
        old, value = next(pairs)
        if type(old) is type(value) and old == value:
            return token
        if isinstance(value, str):
            return json.dumps(value, ensure_ascii="\\u" in token)
        return json.dumps(value)

    try:
        out = sub_json(original, rewrite)
        if json.loads(out) == new:
            return out
    except (StopIteration, ValueError):
        pass
    return _dump_like(original, document, new)


def _leaves(node: Any) -> Iterator[Any]:
    """The strings and numbers of a JSON document in the order they are written."""
    if isinstance(node, dict):
        for item in node.values():
            yield from _leaves(item)
    elif isinstance(node, list):
        for item in node:
            yield from _leaves(item)
    elif isinstance(node, str | int | float) and not isinstance(node, bool):
        yield node


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, item in node.items():
            yield key
            yield from _keys(item)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


def _may_hold_personal(key: str) -> bool:
    """Whether a JSON key could be personal data itself (an address or account number as
    a key: ``{"jan@…": "delivered"}``)."""
    return len(key) >= 6 and (
        any(hint in key for hint in ("@", "%40", "&#")) or any(ch.isdigit() for ch in key)
    )


def _load_json(text: str) -> tuple[Any, bool] | None:
    """``text`` parsed, and whether an object of it has a duplicate key; ``None`` if it is
    not JSON. One parse: the hook only counts each object's keys."""
    if not looks_like_json(text):
        return None
    duplicates = False

    def checked(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicates
        made = dict(pairs)
        duplicates = duplicates or len(made) != len(pairs)
        return made

    try:
        return json.loads(text, object_pairs_hook=checked), duplicates
    except (ValueError, RecursionError):
        return None


def _dump_like(original: str, document: Any, new: Any) -> str:
    ascii_only = original.isascii() and "\\u" in original
    for separators, indent in (((",", ":"), None), ((", ", ": "), None), ((",", ": "), 2)):
        dumped = json.dumps(document, separators=separators, indent=indent, ensure_ascii=ascii_only)
        if dumped == original:
            return json.dumps(new, separators=separators, indent=indent, ensure_ascii=ascii_only)
    return json.dumps(new, separators=(",", ":"), ensure_ascii=ascii_only)


def _with_body(response: Mapping[str, Any], rewrite: Any) -> tuple[dict[str, Any], bool]:
    out = dict(response)
    out["headers"] = dict(response.get("headers") or {})
    body = message_body(response, is_request=False)
    headers = out["headers"]
    if isinstance(body, str) and body:
        new: Any = rewrite(body)
    elif isinstance(body, bytes | bytearray) and body and not _encoded(headers):
        text = body_text(body, headers)
        if text is None:
            return out, False
        changed = rewrite(text.text)
        new = body if changed == text.text else text.encode(changed)
        if new is None:
            return out, False
    else:
        return out, True
    if new != body:
        out["body"] = dict(response.get("body") or {})
        replace_body(out, new, is_request=False)
    return out, True


def _encoded(headers: Mapping[str, Any]) -> bool:
    for name, values in headers.items():
        if str(name).lower() == "content-encoding":
            items = values if isinstance(values, list | tuple) else [values]
            return any(str(v).strip().lower() not in ("", "identity") for v in items)
    return False


def pseudonymise_response(
    response: Mapping[str, Any],
    pseudonymiser: Pseudonymiser,
    *,
    rules: KeyRules | None = None,
    sent: Iterable[str] = (),
) -> tuple[dict[str, Any], int]:
    """A copy of ``response`` with its personal data pseudonymised; the number of values."""
    rewriter = _Rewriter(pseudonymiser, rules or KeyRules(), set(sent))
    out, _ = _with_body(response, rewriter.body)
    headers = out["headers"]
    for name, values in list(headers.items()):
        if str(name).lower() in _SKIPPED_HEADERS:
            continue
        items = values if isinstance(values, list | tuple) else [values]
        new = [rewriter.text(v) if isinstance(v, str) else v for v in items]
        if new != list(items):
            headers[name] = new if isinstance(values, list | tuple) else new[0]
    return out, rewriter.count


def pseudonymise_interactions(
    data: Mapping[str, Any],
    pseudonymiser: Pseudonymiser,
    *,
    rules: KeyRules | None = None,
    start: int = 0,
) -> tuple[dict[str, Any], int]:
    """Cassette data with the responses from interaction ``start`` on pseudonymised."""
    interactions = list(data.get("interactions") or ())
    sent = _all_sent(interactions)
    total = 0
    for index in range(start, len(interactions)):
        interaction = interactions[index]
        response, count = pseudonymise_response(
            interaction["response"], pseudonymiser, rules=rules, sent=sent
        )
        if count:
            interactions[index] = {**interaction, "response": response}
            total += count
    return {**data, "interactions": interactions}, total


def _all_sent(interactions: Iterable[Mapping[str, Any]]) -> set[str]:
    sent: set[str] = set()
    for interaction in interactions:
        request = interaction.get("request")
        if isinstance(request, Mapping):
            sent |= sent_values(request)
    return sent


# --- finding what is left ---------------------------------------------------------------


def _json_findings(
    node: Any, path: tuple[str, ...], where: str, rules: KeyRules, sent: set[str]
) -> Iterator[Finding]:
    if isinstance(node, JsonObject):  # all its pairs: a duplicate key's values are all read
        for key, item in node:
            here = (*path, str(key))
            if rules.is_kept(here):
                continue
            shown = str(key)
            if _may_hold_personal(shown):
                key_findings = list(_text_findings(shown, "", sent))
                if key_findings:  # the key itself: the place never shows it
                    shown = "(a key)"
                    yield from (
                        Finding(f"{where}.{shown}".lstrip("."), f.kind) for f in key_findings
                    )
            yield from _json_findings(
                item, here, f"{where}.{shown}" if where else shown, rules, sent
            )
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _json_findings(item, path, f"{where}[{index}]", rules, sent)
    elif isinstance(node, str):
        if _holds_json(node):
            yield from _json_findings(load_json(node), path, where, rules, sent)
        else:
            yield from _text_findings(node, where, sent)
    else:
        digits = _integral(node)
        if digits and digits not in sent and is_card_number(digits) and not is_test_card(digits):
            yield Finding(where, Kind.CARD)


def _text_findings(text: str, where: str, sent: set[str]) -> Iterator[Finding]:
    for match in find_in_text(text, phones=False):
        if match.kind in GATED_KINDS and match.value(text) not in sent:
            yield Finding(where, match.kind)


def find_personal(data: Mapping[str, Any], *, rules: KeyRules | None = None) -> list[Finding]:
    """Every place in the responses of cassette ``data`` that still holds personal data
    of a gated kind (an e-mail address outside the reserved domains, a valid IBAN that is
    no pseudonym, a Luhn-valid card number outside the test ranges); never the values.

    Values a request of the cassette holds are the test's own, and not findings.
    """
    rules = rules or KeyRules()
    interactions = list(data.get("interactions") or ())
    sent = _all_sent(interactions)
    found: list[Finding] = []
    for number, interaction in enumerate(interactions):
        response = interaction.get("response")
        if not isinstance(response, Mapping):
            continue
        prefix = f"interaction {number} response"
        for name, values in (response.get("headers") or {}).items():
            if str(name).lower() in _SKIPPED_HEADERS or rules.is_kept((str(name),)):
                continue
            items = values if isinstance(values, list | tuple) else [values]
            for value in items:
                if isinstance(value, str):
                    found += _text_findings(value, f"{prefix} header {name}", sent)

        check = functools.partial(
            _body_findings, found=found, prefix=prefix, rules=rules, sent=sent
        )
        _with_body(response, check)
    return found


def _body_findings(
    text: str, *, found: list[Finding], prefix: str, rules: KeyRules, sent: set[str]
) -> str:
    inner = (
        _json_findings(load_json(text), (), "", rules, sent)
        if is_json(text)
        else _text_findings(text, "", sent)
    )
    found.extend(Finding(f"{prefix} body {f.place}".rstrip(), f.kind) for f in inner)
    return text
