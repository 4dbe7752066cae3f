"""acme_billing: the code under test of this example, a few helpers over the BSS API.

Each helper takes a ready ``requests.Session`` bound to the tenant (a
``pytest_bss.BssClient`` in production and in tests), so the code does not care where
its credentials come from.
"""

from .accounts import Account, customer_names, find_account, open_account, synced_systems

__all__ = ["Account", "customer_names", "find_account", "open_account", "synced_systems"]
