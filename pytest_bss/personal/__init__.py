"""Personal data in BSS traffic: which fields hold it, pseudonyms for it, what is left.

A BSS tenant is a billing system: its answers hold customers' and contacts' names,
e-mail addresses, phone numbers, postal addresses, VAT numbers, bank accounts and card
numbers. While recording, pytest-bss replaces them with consistent, format-preserving
pseudonyms before the test sees them and before any cassette is written, and refuses
to write a cassette that still holds something that looks like one (docs/personal-data.md).

* :mod:`.fields`: the field list (:data:`FIELDS`) and the ini rules (:class:`KeyRules`);
* :mod:`.detect`: personal data by its shape (free text, the gate's checks);
* :mod:`.pseudonyms`: the key (:func:`pseudonym_key`) and the rules (:class:`Pseudonymiser`);
* :mod:`.bodies`: responses pseudonymised (:func:`pseudonymise_response`) and searched
  (:func:`find_personal`).
"""

from __future__ import annotations

from .bodies import (
    Finding,
    PersonalPolicy,
    find_personal,
    pseudonymise_interactions,
    pseudonymise_response,
    sent_values,
)
from .detect import find_in_text, personal_kind
from .fields import FIELDS, KeyRules, Kind
from .pseudonyms import KEY_ENV, Pseudonymiser, pseudonym_key

__all__ = [
    "FIELDS",
    "KEY_ENV",
    "Finding",
    "KeyRules",
    "Kind",
    "PersonalPolicy",
    "Pseudonymiser",
    "find_in_text",
    "find_personal",
    "personal_kind",
    "pseudonym_key",
    "pseudonymise_interactions",
    "pseudonymise_response",
    "sent_values",
]
