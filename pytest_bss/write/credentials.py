"""Stage 3 of the write path: take every credential out (see :mod:`pytest_bss.scrub`).

Credential positions are scrubbed first (registering what they hold as known secrets),
then every known value in every written form; the tenant's base URL becomes the neutral
replay host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..scrub import scrub_interactions

if TYPE_CHECKING:
    from . import WriteContext

__all__ = ["scrub_credentials"]


def scrub_credentials(data: dict[str, Any], context: WriteContext) -> dict[str, Any]:
    """The stage: scrubbed cassette data; ``context.replaced`` counts the values replaced."""
    out, count = scrub_interactions(
        data, context.secrets, base_urls=context.base_urls, neutral_base=context.neutral_base
    )
    context.replaced += count
    return out
