"""Stage 4 of the write path: personal data becomes pseudonyms, or the write is refused.

Responses recorded in this run are pseudonymised (:mod:`pytest_bss.personal`); those read
from the file on disk (the first ``context.loaded`` interactions) went through this stage
when they were written, and are left alone. Then the gate: anything in a response that
still looks like personal data of a gated kind (an e-mail address outside the reserved
domains, a valid IBAN that is not a pseudonym, a Luhn-valid card number outside the test
ranges) refuses the write with :class:`~pytest_bss.exceptions.PersonalDataError`, naming
each place, never the value. Off (``bss_personal_data = false``, or
``@pytest.mark.bss(personal_data=False)``): the stage passes the data through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import PersonalDataError

if TYPE_CHECKING:
    from . import WriteContext

__all__ = ["personal_data"]


def personal_data(data: dict[str, Any], context: WriteContext) -> dict[str, Any]:
    """The stage: ``data`` with its responses' personal data pseudonymised, or a refusal."""
    policy = context.personal
    if policy is None or not policy.enabled:
        return data
    from ..personal import find_personal, pseudonymise_interactions

    if context.pseudonymiser is not None:
        data, _ = pseudonymise_interactions(
            data, context.pseudonymiser, rules=policy.rules, start=context.loaded
        )
    findings = find_personal(data, rules=policy.rules)
    if findings:
        places = tuple(str(finding) for finding in findings)
        raise PersonalDataError(
            f"Refused to write cassette {context.path}: it would hold personal data at\n  "
            + "\n  ".join(places[:10])
            + ("\n  …" if len(places) > 10 else "")
            + "\nThe file on disk was left as it was. If a field holds personal data, name "
            "it in bss_personal_fields (it is then pseudonymised); if it does not, name it in "
            "bss_personal_keep (docs/personal-data.md). A cassette from elsewhere: "
            "pytest-bss scrub --personal-data.",
            path=str(context.path),
            places=places,
        )
    return data
