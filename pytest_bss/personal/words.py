"""Words pseudonyms are made of: names, company words, streets and cities.

Small built-in lists instead of Faker: Faker installs a pytest plugin that loads it at the
start of every pytest run (about 0.3 s for every user of pytest-bss), and its lists change
between versions, which would change pseudonyms (and cassettes) on an upgrade. These lists
change only with pytest-bss, and :class:`Words` picks from them by a digest, so the same
key and real value always give the same word.
"""

from __future__ import annotations

from typing import Final

__all__ = ["Words"]

FIRST_NAMES: Final = (
    "Ada", "Alan", "Alice", "Amara", "Anna", "Arjun", "Ben", "Carla", "Chen", "Clara",
    "Daniel", "Diego", "Elena", "Emil", "Eva", "Farah", "Felix", "Grace", "Hana", "Hugo",
    "Ines", "Ivan", "Jonas", "Julia", "Kai", "Lara", "Leo", "Lina", "Luca", "Maya",
    "Mia", "Milan", "Nina", "Noah", "Omar", "Paula", "Rosa", "Sami", "Sofia", "Theo",
    "Uma", "Victor", "Wanda", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES: Final = (
    "Adler", "Baker", "Berg", "Brooks", "Castro", "Costa", "Dahl", "Evans", "Fischer",
    "Garcia", "Hansen", "Hart", "Ito", "Jensen", "Keller", "Klein", "Larsen", "Lopez",
    "Meyer", "Moreau", "Nagy", "Novak", "Olsen", "Park", "Perez", "Quinn", "Reyes",
    "Rossi", "Schulz", "Silva", "Stone", "Tanaka", "Torres", "Vogel", "Walsh", "Weber",
    "Wong", "Young", "Zimmer",
)  # fmt: skip
COMPANY_WORDS: Final = (
    "Alpine", "Amber", "Anchor", "Apex", "Aurora", "Beacon", "Birch", "Bright", "Cedar",
    "Coral", "Crest", "Delta", "Ember", "Falcon", "Harbor", "Horizon", "Indigo", "Juniper",
    "Keystone", "Lumen", "Maple", "Meridian", "Nimbus", "Northwind", "Orbit", "Pioneer",
    "Quartz", "Ridge", "Sable", "Summit", "Tidal", "Vertex", "Willow", "Zenith",
)  # fmt: skip
TRADES: Final = (
    "Systems", "Trading", "Logistics", "Solutions", "Networks", "Foods", "Works", "Labs",
    "Partners", "Services", "Industries", "Media",
)  # fmt: skip
STREETS: Final = (
    "Acacia Avenue", "Bridge Street", "Canal Road", "Church Lane", "Elm Street",
    "Harbour Road", "High Street", "Kings Road", "Lake View", "Market Square", "Mill Lane",
    "Oak Drive", "Park Avenue", "Queens Way", "River Walk", "Station Road", "Victoria Road",
)  # fmt: skip
CITIES: Final = (
    "Ashford", "Bayview", "Brookfield", "Clearwater", "Eastwood", "Fairhaven", "Glenmore",
    "Greenfield", "Hillcrest", "Kingsport", "Lakeside", "Millbrook", "Northgate",
    "Oakridge", "Riverton", "Springvale", "Westbury",
)  # fmt: skip


class Words:
    """Picks words for one pseudonym from a digest (bytes drawn from the key and value)."""

    def __init__(self, digest: bytes) -> None:
        self._digest = digest
        self._next = 0

    def _pick(self, words: tuple[str, ...]) -> str:
        index = int.from_bytes(self._digest[self._next : self._next + 2], "big")
        self._next = (self._next + 2) % (len(self._digest) - 1)
        return words[index % len(words)]

    def first_name(self) -> str:
        return self._pick(FIRST_NAMES)

    def last_name(self) -> str:
        return self._pick(LAST_NAMES)

    def word(self) -> str:
        return self._pick(TRADES).lower()

    def company(self) -> str:
        return f"{self._pick(COMPANY_WORDS)} {self._pick(TRADES)}"

    def user_name(self) -> str:
        return f"{self.first_name()}.{self.last_name()}".lower()

    def domain_word(self) -> str:
        return self._pick(COMPANY_WORDS).lower()

    def street_address(self) -> str:
        number = 1 + int.from_bytes(self._digest[-2:], "big") % 199
        return f"{number} {self._pick(STREETS)}"

    def city(self) -> str:
        return self._pick(CITIES)
