"""Opening a test's cassette: the vcrpy options, the request filter, the rewrite marks.

:class:`CassetteOpener` turns merged :class:`~pytest_bss.settings.Settings` and a test's
``bss_vcr_config`` into vcrpy options (built once per kind of cassette when nothing can
change them), adds the scrubbing request filter after every user filter, and opens the
cassette under the cross-process lock while recording. vcrpy loads only when a cassette
is first opened.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cassettes import BssCassette
    from .personal import PersonalPolicy
    from .settings import Settings
    from .state import BssState

__all__ = ["PLUGIN_TOKEN_FETCH", "CassetteOpener", "auth_settings"]

# Set while the plugin's own token source runs the password grant: per-test
# cassettes leave that request out (it belongs to the auth cassette).
PLUGIN_TOKEN_FETCH: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "pytest_bss_token_fetch", default=False
)


def auth_settings(settings: Settings) -> Settings:
    """Settings for the shared auth cassette: whole-cassette rewrite whenever recording."""
    mode = "rewrite" if settings.recording else "none"
    return replace(
        settings, record_mode=mode, match_on=("method", "path"), allow_playback_repeats=True
    )


class CassetteOpener:
    """Opens cassettes for one pytest process; caches what is the same for every test."""

    def __init__(self, state: BssState) -> None:
        self.state = state
        self._options_cache: dict[tuple[Any, ...], dict[str, Any]] = {}
        # The cassettes open now, innermost last: (personal-data policy, values sent).
        # A plain list, not a context variable: a test's own threads record too.
        self._open: list[tuple[PersonalPolicy, set[str]]] = []

    @contextlib.contextmanager
    def open(
        self,
        path: Path,
        *,
        settings: Settings,
        vcr_options: dict[str, Any],
        nodeid: str = "",
        keep_token_requests: bool = False,
    ) -> Iterator[BssCassette]:
        """Use the cassette at ``path`` for the duration of the block."""
        from .cassettes import cassette_lock, use_cassette
        from .exceptions import CassetteCorruptError

        state = self.state
        lock = cassette_lock(path) if state.recording else contextlib.nullcontext()
        cassette = None
        state.count_opened()
        with contextlib.ExitStack() as cleanup, lock:
            if state.recording:
                policy = state.personal_policy(settings)
                state.use_personal_policy(path, policy)
                self._open.append((policy, set()))
                cleanup.callback(self._open.pop)
            rewrite = settings.record_mode == "rewrite" and self._first_rewrite(path)
            options = self._cassette_options(path, settings, vcr_options, keep_token_requests)
            command = f"pytest --bss-record '{nodeid}'" if nodeid else "pytest --bss-record"
            try:
                with use_cassette(
                    **options,
                    rewrite=rewrite and not state.verify,
                    nodeid=nodeid,
                    record_command=command,
                    trust_loaded=self.only_own_filters(vcr_options),
                ) as cassette:
                    if state.recording:
                        cassette.live_view = self._live_view()
                    if state.verify:
                        cassette.discard = True  # --bss-verify writes nothing
                        if nodeid and not state.verify_writes:
                            _refuse_writes(cassette, nodeid)
                    yield cassette
                if state.verify and nodeid and not getattr(cassette, "verify_refused", False):
                    state.check_drift(path, nodeid, cassette, settings)
            except CassetteCorruptError:
                state.count_unreadable(path)
                raise
            finally:
                # Counted also when saving failed: the summary line says what was played.
                # The shared auth cassette is not one of the tests' cassettes.
                if nodeid and cassette is not None:
                    state.count(cassette, path)
                    state.check_age(path, nodeid)

    def only_own_filters(self, vcr_options: dict[str, Any]) -> bool:
        """Whether the record filters are only pytest-bss's own (no user may have added one)."""
        user_filters = {key for key in vcr_options if key.startswith(("before_record", "filter_"))}
        hook = self.state.config.hook.pytest_bss_configure_vcr
        return not user_filters and not hook.get_hookimpls()

    def _first_rewrite(self, path: Path) -> bool:
        # The first test of this run (in any xdist worker) to use a cassette
        # replaces it; later users add to what this run recorded.
        run_dir = self.state.run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        mark = self._run_file(path, ".rewritten")
        try:
            mark.touch(exist_ok=False)
        except FileExistsError:
            return False
        # Keep the file as it was: every writer in this run keeps the volatile values of
        # the interactions that did not change (write/volatile.py), also after the first.
        with contextlib.suppress(OSError):
            shutil.copyfile(path, self._baseline(path))
        return True

    def baseline_for(self, path: Path) -> Path | None:
        """The copy of ``path`` as it was before this run first rewrote it; None if none."""
        baseline = self._baseline(path)
        return baseline if baseline.is_file() else None

    def lost_interactions(self, path: Path) -> list[str]:
        """Requests (``GET /api/…``) the file held before this run rewrote it and lacks now.

        For a cassette several tests share: re-recording only some of them replaces the
        file, and the others' interactions are gone.
        """
        from collections import Counter
        from urllib.parse import urlsplit

        from .cassettes import load_cassette_data

        baseline = self.baseline_for(path)
        if baseline is None:
            return []

        def requests(file: Path) -> Counter[str]:
            try:
                interactions = load_cassette_data(file)["interactions"]
            except Exception:  # missing or unreadable: nothing to compare
                return Counter()
            return Counter(
                f"{i['request'].get('method')} {urlsplit(str(i['request'].get('uri'))).path}"
                for i in interactions
            )

        lost = requests(baseline) - requests(path)
        return sorted(lost.elements())

    def _baseline(self, path: Path) -> Path:
        return self._run_file(path, ".baseline" + path.suffix)  # the suffix names the format

    def _run_file(self, path: Path, suffix: str) -> Path:
        return self.state.run_dir / (
            re.sub(r"[^A-Za-z0-9]", "_", str(path.resolve()))[-200:] + suffix
        )

    def _cassette_options(
        self,
        path: Path,
        settings: Settings,
        vcr_options: dict[str, Any],
        keep_token_requests: bool,
    ) -> dict[str, Any]:
        state = self.state
        # Without user options or hook implementations the options differ only by path:
        # build them once per kind of cassette instead of once per test.
        cacheable = (
            not vcr_options and not state.config.hook.pytest_bss_configure_vcr.get_hookimpls()
        )
        key = (
            settings.record_mode,
            settings.match_on,
            settings.allow_playback_repeats,
            keep_token_requests,
        )
        if cacheable and key in self._options_cache:
            return {**self._options_cache[key], "path": str(path)}
        import vcr

        user = dict(vcr_options)
        user_request_hooks = _as_list(user.pop("before_record_request", None))
        user_response_hooks = _as_list(user.pop("before_record_response", None))
        user.pop("match_on", None)
        user.pop("allow_playback_repeats", None)
        # Scrubbing runs after every user filter, so nothing configured can skip it.
        request_hooks = [*user_request_hooks, self._request_scrubber(keep_token_requests)]
        response_hooks = [*user_response_hooks]
        if state.recording:
            # What the test can read back from its cassette is what the file will hold.
            response_hooks.append(self._response_scrubber())
        mode = "all" if settings.record_mode == "rewrite" else settings.record_mode
        recorder = vcr.VCR(
            **user,
            record_mode=mode,
            match_on=settings.match_on,
            before_record_request=request_hooks,
            before_record_response=response_hooks or None,
            decode_compressed_response=True,
        )
        recorder.register_persister(state.persister)
        state.config.hook.pytest_bss_configure_vcr(config=state.config, vcr=recorder)
        options: dict[str, Any] = recorder.get_merged_config(
            path=str(path), allow_playback_repeats=settings.allow_playback_repeats
        )
        options["record_on_exception"] = True
        if not state.recording and self.only_own_filters(vcr_options):
            # The scrubber makes a new request anyway: vcrpy's deep copy in front of it
            # would only double the cost of every replayed request.
            options["before_record_request"] = request_hooks[-1]
        if _supports_skip_patchers():
            # vcrpy tries to import every HTTP library it can patch, for every cassette; a
            # failed import is not cached, so skip the libraries that are not installed.
            options["skip_patchers"] = (*options.get("skip_patchers", ()), *_absent_patchers())
        if cacheable:
            self._options_cache[key] = options
        return options

    def _request_scrubber(self, keep_token_requests: bool) -> Any:
        from vcr.request import Request

        from .scrub import scrub_request
        from .write.normalise import normalise_request

        secrets, base_urls = self.state.secrets, self.state.base_urls
        recording, opened = self.state.recording, self._open

        def scrub(request: Any) -> Any:
            if not keep_token_requests and PLUGIN_TOKEN_FETCH.get():
                return None
            data = normalise_request(request._to_dict())
            scrubbed, _ = scrub_request(data, secrets, base_urls=base_urls)
            if recording and opened and opened[-1][0].enabled:
                from .personal import sent_values

                # The test's own values: a response that repeats them keeps them.
                opened[-1][1].update(sent_values(scrubbed))
            return Request._from_dict(scrubbed)

        return scrub

    def _live_view(self) -> Any:
        pseudonymiser, opened = self.state.pseudonymiser, self._open
        if pseudonymiser is None or not opened or not opened[-1][0].enabled:
            return None
        policy, sent = opened[-1]

        def view(response: dict[str, Any]) -> dict[str, Any]:
            from .decoding import decode_message
            from .personal import pseudonymise_response

            plain = decode_message(response, is_request=False)
            out, count = pseudonymise_response(plain, pseudonymiser, rules=policy.rules, sent=sent)
            return {"headers": out["headers"], "body": out["body"]} if count else {}

        return view

    def _response_scrubber(self) -> Any:
        from .scrub import scrub_response
        from .write.normalise import normalise_response

        secrets, base_urls = self.state.secrets, self.state.base_urls
        pseudonymiser, opened = self.state.pseudonymiser, self._open

        def scrub(response: Any) -> Any:
            scrubbed, _ = scrub_response(normalise_response(response), secrets, base_urls=base_urls)
            if pseudonymiser is not None and opened and opened[-1][0].enabled:
                from .personal import pseudonymise_response

                # The test reads the pseudonyms the cassette will hold (docs/personal-data.md).
                policy, sent = opened[-1]
                scrubbed, _ = pseudonymise_response(
                    scrubbed, pseudonymiser, rules=policy.rules, sent=sent
                )
            return scrubbed

        return scrub


@functools.cache
def _supports_skip_patchers() -> bool:
    from vcr.cassette import Cassette

    return "skip_patchers" in inspect.signature(Cassette.__init__).parameters


@functools.cache
def _absent_patchers() -> tuple[str, ...]:
    from importlib.util import find_spec

    libraries = {
        "boto3": "botocore",
        "httplib2": "httplib2",
        "tornado": "tornado",
        "aiohttp": "aiohttp",
        "httpx": "httpx",
        "httpx2": "httpx2",
    }
    return tuple(name for name, module in libraries.items() if find_spec(module) is None)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if callable(value):
        return [value]
    return list(value)


#: Headers some servers take as the request's real method.
_METHOD_OVERRIDES = ("x-http-method-override", "x-http-method", "x-method-override")


def _refuse_writes(cassette: Any, nodeid: str) -> None:
    """Make ``cassette`` refuse, before it is sent, a request that would change the tenant."""
    from .verify import SAFE_METHODS

    before = cassette._before_record_request

    def refuse(request: Any) -> Any:
        headers = {str(k).lower(): str(v) for k, v in dict(request.headers).items()}
        overrides = [headers[h] for h in _METHOD_OVERRIDES if h in headers]
        methods = {request.method.upper(), *(m.strip().upper() for m in overrides)}
        if not methods <= SAFE_METHODS:
            from .exceptions import VerifyWriteRefusedError

            cassette.verify_refused = True  # nothing to compare: the test stopped here
            raise VerifyWriteRefusedError(
                f"--bss-verify did not send {'/'.join(sorted(methods - SAFE_METHODS))} "
                f"{request.path}: it would change "
                f"the tenant. Verify {nodeid} with --bss-verify --bss-verify-writes (it creates "
                "real records), or deselect it."
            )
        return before(request)

    cassette._before_record_request = refuse
