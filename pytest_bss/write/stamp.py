"""Stage 2 of the write path: every new interaction says when, and against what, it was recorded.

An interaction without ``recorded_at`` (one recorded in this run) gets today's UTC date
and ``api_version`` (the ``X-Api-Version`` it sent, the version the tenant reported); one
that already has them (read from the file, in ``once`` or ``new_episodes`` mode) keeps
them. See :mod:`pytest_bss.age` for how replay uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..age import api_version

if TYPE_CHECKING:
    from . import WriteContext

__all__ = ["stamp"]


def stamp(data: dict[str, Any], context: WriteContext) -> dict[str, Any]:
    """The stage: new interactions stamped with ``context.recorded_on``."""
    interactions = []
    for interaction in data.get("interactions") or ():
        if "recorded_at" not in interaction:
            interaction = {
                **interaction,
                "recorded_at": context.recorded_on,
                "api_version": api_version(interaction),
            }
        interactions.append(interaction)
    return {**data, "interactions": interactions}
