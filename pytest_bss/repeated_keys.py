"""Every value of a key a mapping repeats, each read in its place.

A parser keeps one value of a repeated key (the last, for vcrpy's loaders) and drops the
others, and a credential in a dropped value would go unread. ``pytest-bss audit`` and
``scrub`` read the document once more for every dropped value: a *shadow*, the same
document in which that value stands where the kept one stood (and, for a value inside
another dropped value, the enclosing value too). A YAML merge key (``<<``) that an explicit
key overrides counts as a repeated key (the merged value is the dropped one).

:func:`yaml_repeated` and :func:`yaml_shadows` work on the composed YAML nodes (before any
object is built); :func:`json_with_shadows` parses JSON twice or more with a pairs hook
that numbers the objects in the order the parser finishes them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "MAX_SHADOWS",
    "TooManyRepeatsError",
    "json_with_shadows",
    "yaml_repeated",
    "yaml_shadows",
]

#: The most dropped values a file may hold: each is one more reading of the whole file,
#: so a few hundred bytes of repeated keys could otherwise cost minutes (or, with a
#: document of aliases, hours). A file with more is refused, never half read.
MAX_SHADOWS = 16


class TooManyRepeatsError(ValueError):
    """More dropped values than :data:`MAX_SHADOWS`; the message completes "Cassette PATH"."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"repeats keys {count} times (a parser keeps one value of each and drops the "
            f"others; pytest-bss reads the file again for each, at most {MAX_SHADOWS} times "
            "and 64 MB in all): remove the repeated keys"
        )


#: Characters of readings in all (the file once for each dropped value): 16 readings of a
#: 4 MB file, one of a 64 MB file.
SHADOW_BUDGET = 64_000_000


def _check_count(repeated: list[tuple[Any, Any, dict[Any, list[int]], Any]], size: int) -> None:
    count = sum(len(indexes) - 1 for _, _, places, _ in repeated for indexes in places.values())
    if count > MAX_SHADOWS or count * size > SHADOW_BUDGET:
        raise TooManyRepeatsError(count)


#: (mapping, pair index) from the root down to a node: the value it sits in at each level.
_Path = tuple[tuple[Any, int], ...]
#: mapping -> {key: the index of the pair to keep}; a key not named keeps its last pair.
_Choice = dict[int, dict[Any, int]]


def _choices(
    repeated: list[tuple[Any, Any, dict[Any, list[int]], Any]],
) -> Iterator[_Choice]:
    """One choice per dropped value: its own pair kept, and at every level above it that
    repeats the key it sits under, the pair it sits in.

    ``repeated``: (mapping id, mapping, key -> pair indexes, path to it as (mapping id,
    key -> pair indexes, key, pair index) entries).
    """
    for mapping_id, _, places, path in repeated:
        for key, indexes in places.items():
            for index in indexes[:-1]:
                choice: _Choice = {mapping_id: {key: index}}
                for above_id, above_places, above_key, above_index in path:
                    if len(above_places.get(above_key, ())) > 1:
                        choice.setdefault(above_id, {})[above_key] = above_index
                yield choice


# --- YAML ---------------------------------------------------------------------------------


def yaml_repeated(loader: Any, root: Any) -> list[tuple[Any, Any, dict[Any, list[int]], Any]]:
    """Each YAML mapping node that repeats a key, in file order, as :func:`_choices` takes
    them. Merge keys are first merged into the mapping (as PyYAML would), so a key that an
    explicit key overrides is a repeated key."""
    import yaml

    out = []
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[Any, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            _flatten_merges(node, set())
            places = _places(
                [key.value if isinstance(key, yaml.ScalarNode) else None for key, _ in node.value]
            )
            if any(len(indexes) > 1 for indexes in places.values()):
                out.append((id(node), node, places, path))
            for index, (key, value) in enumerate(node.value):
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                stack.append((key, path))
                stack.append((value, (*path, (id(node), places, name, index))))
        elif isinstance(node, yaml.SequenceNode):
            stack += [(child, path) for child in node.value]
    out.sort(key=lambda item: item[1].start_mark.index)
    return out


def _flatten_merges(node: Any, done: set[int]) -> None:
    """Put the pairs a merge key (``<<``) brings into the mapping itself, before its own
    pairs, as PyYAML does, but keep every one of them (PyYAML 6.0.3+ drops a merged pair
    whose key node is an alias of one merged before): a key merged twice, or merged and
    set, is then a repeated key, and each of its values is read."""
    import yaml

    if id(node) in done:
        return
    done.add(id(node))
    merged: list[Any] = []
    own: list[Any] = []
    for key, value in node.value:
        if getattr(key, "tag", "") != "tag:yaml.org,2002:merge":
            own.append((key, value))
            continue
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        if not all(isinstance(source, yaml.MappingNode) for source in sources):
            own.append((key, value))  # PyYAML refuses it while constructing, as it should
            continue
        for source in sources:
            _flatten_merges(source, done)
            merged += source.value
    if merged:
        node.value = merged + own


def yaml_shadows(
    loader: Any,
    root: Any,
    repeated: list[tuple[Any, Any, dict[Any, list[int]], Any]],
    size: int = 0,
) -> list[Any]:
    """The shadow documents of a YAML document, built from its composed nodes; raises
    :class:`TooManyRepeatsError` when it has more than :data:`MAX_SHADOWS` of them."""
    _check_count(repeated, size)
    originals = {mapping_id: (node, list(node.value)) for mapping_id, node, _, _ in repeated}
    places_of = {mapping_id: places for mapping_id, _, places, _ in repeated}
    out = []
    try:
        for choice in _choices(repeated):
            for mapping_id, (node, pairs) in originals.items():
                keep = _kept(places_of[mapping_id], choice.get(mapping_id, {}))
                node.value = [pair for index, pair in enumerate(pairs) if index in keep]
            out.append(loader.construct_document(root))
    finally:
        for node, pairs in originals.values():
            node.value = pairs
    return out


# --- JSON ---------------------------------------------------------------------------------


def json_with_shadows(
    text: str, finish: Callable[[dict[str, Any]], Any], duplicates: list[str]
) -> tuple[Any, list[Any]]:
    """The JSON document (``finish`` applied to each object) and its shadow documents;
    ``duplicates`` gets a note when an object repeats a key."""
    keys: list[list[str]] = []
    made: dict[int, int] = {}
    keep_alive: list[Any] = []  # so that no id is reused while the parse runs
    above: dict[int, tuple[int, int]] = {}  # object -> (the object it sits in, pair index)

    def numbered(items: list[tuple[str, Any]]) -> Any:
        number = len(keys)
        keys.append([key for key, _ in items])
        for index, (_, value) in enumerate(items):
            for child in _objects_in(value):
                child_number = made.get(id(child))
                if child_number is not None:
                    above[child_number] = (number, index)
        result = dict(items)  # a new object each time (finish may give a shared b"")
        made[id(result)] = number
        keep_alive.append(result)
        return result

    plain = json.loads(text, object_pairs_hook=numbered)
    repeated = []
    for number, names in enumerate(keys):
        places = _places(names)
        if any(len(indexes) > 1 for indexes in places.values()):
            repeated.append((number, None, places, _json_path(number, above, keys)))
    # the document itself: the plain parse, unless it has binary bodies to decode
    document = json.loads(text, object_hook=finish) if '"base64"' in text else plain
    if not repeated:
        return document, []
    duplicates.append("in a JSON object")
    _check_count(repeated, len(text))
    places_of = {number: places for number, _, places, _ in repeated}
    shadows = []
    for choice in _choices(repeated):
        counter = iter(range(len(keys)))

        def chosen(
            items: list[tuple[str, Any]], choice: _Choice = choice, counter: Any = counter
        ) -> Any:
            number = next(counter)
            if number not in places_of:
                return finish(dict(items))
            kept = _kept(places_of[number], choice.get(number, {}))
            return finish(dict(pair for index, pair in enumerate(items) if index in kept))

        shadows.append(json.loads(text, object_pairs_hook=chosen))
    return document, shadows


def _json_path(
    number: int, above: dict[int, tuple[int, int]], keys: list[list[str]]
) -> tuple[tuple[int, dict[Any, list[int]], str, int], ...]:
    path = []
    while number in above:
        parent, index = above[number]
        path.append((parent, _places(keys[parent]), keys[parent][index], index))
        number = parent
    return tuple(reversed(path))


def _objects_in(value: Any) -> Iterator[Any]:
    """The objects a JSON value holds directly or in lists (not inside other objects)."""
    if isinstance(value, list):
        for item in value:
            yield from _objects_in(item)
    elif value is not None and not isinstance(value, str | int | float | bool):
        yield value


# --- shared -------------------------------------------------------------------------------


def _places(names: list[Any]) -> dict[Any, list[int]]:
    """key -> the indexes of its pairs (a key that is no scalar is its own, never repeated)."""
    places: dict[Any, list[int]] = {}
    for index, name in enumerate(names):
        places.setdefault(name if name is not None else ("#", index), []).append(index)
    return places


def _kept(places: dict[Any, list[int]], choice: dict[Any, int]) -> set[int]:
    """The pair indexes a mapping keeps: the chosen pair of a key, else its last."""
    return {choice.get(key, indexes[-1]) for key, indexes in places.items()}
