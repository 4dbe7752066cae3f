"""The session's token: one password grant per pytest process, in the shared auth cassette.

While recording, the grant runs against the tenant inside ``cassettes/bss_auth.json``
(rewritten once per run, across xdist workers); every token it issues is registered as a
secret first. While replaying, the grant is answered from that cassette and the token is
a :class:`~pytest_bss.auth.StaticToken`: expiry does not matter when every answer is
recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cassette_options import PLUGIN_TOKEN_FETCH, auth_settings

if TYPE_CHECKING:
    from .auth import Token, TokenSource
    from .state import BssState

__all__ = ["SessionToken"]


class SessionToken:
    """Holds the first token of the process and the source that renews it."""

    def __init__(self, state: BssState) -> None:
        self.state = state
        self.source: TokenSource | None = None
        self.first: Token | None = None

    def get(self, vcr_options: dict[str, Any]) -> Token:
        """Run the password grant once for this process, inside the shared auth cassette."""
        if self.first is not None:
            return self.first
        from .auth import PasswordGrant, StaticToken

        state = self.state
        config = state.bss_config()
        secrets = state.secrets

        class _PluginGrant(PasswordGrant):
            def _renew(self, previous: Token | None) -> Token:
                marker = PLUGIN_TOKEN_FETCH.set(True)
                try:
                    return super()._renew(previous)
                finally:
                    PLUGIN_TOKEN_FETCH.reset(marker)

        def learn(token: Token) -> None:
            secrets.add("access_token", token.access_token)
            if token.refresh_token:
                secrets.add("refresh_token", token.refresh_token)

        with state.opener.open(
            state.auth_cassette_path(),
            settings=auth_settings(state.settings),
            vcr_options=vcr_options,
            keep_token_requests=True,
        ) as cassette:
            grant = _PluginGrant(config, on_token=learn)
            try:
                token = grant.get_token()
            except BaseException:
                # A failed grant (HTML, 500, no token) must not replace a good auth cassette.
                cassette.discard = True
                raise
        # Replay never refreshes: expiry is irrelevant when every answer is recorded.
        self.source = grant if state.recording else StaticToken(token)
        self.first = token
        return token
