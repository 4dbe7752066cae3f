"""Keep known credentials out of everything pytest shows or writes about a run.

While pytest-bss knows credential values (a recording run, or any run with ``BSS_*``
credentials set), one :class:`Redactor` replaces each of them, in every form the scrubber
knows (raw, percent-, JSON-, base64-encoded ...), by its placeholder in:

* test and collection reports: the failure text (``longrepr``: tracebacks with ``-l``,
  ``--tb=long``, ``--full-trace``, assertion introspection with ``-vv``) and the captured
  stdout, stderr and log sections; ``--junitxml`` and pytest-xdist read these reports, so
  they get the redacted text;
* log records, before pytest's handlers format them: the live log (``--log-cli-level``),
  ``--log-file``, ``caplog``;
* the terminal itself, as a last net: whatever pytest writes through its terminal writer
  (summaries, warnings, a KeyboardInterrupt's traceback, internal errors).

Not covered (README "Guarantees"): output that bypasses pytest's capture and terminal
writer (``-s`` / ``--capture=no`` with a test printing a secret, a subprocess writing to
the inherited file descriptors), and secrets pytest-bss was never told about.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any, Final, TextIO

__all__ = [
    "CleanFailure",
    "RedactingLogFilter",
    "Redactor",
    "explain_comparison",
    "redact_properties",
    "redact_report",
    "redact_suite_properties",
    "redact_text",
    "redact_warning",
    "redact_xml_attributes",
]

#: Values shorter than this are not redacted from output: they would garble ordinary text.
MIN_REDACTED: Final = 4
#: ... but their encoded forms of at least this length are (percent-, JSON-, ``\\U``-escaped).
MIN_SHORT_FORM: Final = 8


class Redactor:
    """Replaces every known credential value, in every written form, by its placeholder.

    ``values`` is called for the current ``(value, placeholder)`` pairs; it may grow during
    the run (tokens are learned as they are issued), and the pattern is rebuilt then.
    """

    def __init__(self, values: Callable[[], Iterable[tuple[str, str]]]) -> None:
        self._values = values
        self._lock = threading.Lock()
        self._key: frozenset[tuple[str, str]] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        self._replacements: dict[str, str] = {}

    def _compiled(self) -> tuple[re.Pattern[str] | None, dict[str, str]]:
        key = frozenset(self._values())
        with self._lock:
            if key != self._key:
                from .naming import written_forms

                replacements: dict[str, str] = {}
                for value, placeholder in sorted(key):
                    # A short value itself would garble ordinary text; its long encoded
                    # forms (``%F1%8D%9B%BF``, ``\\U0004d6ff``) are distinctive enough.
                    shortest = MIN_REDACTED if len(value) >= MIN_REDACTED else MIN_SHORT_FORM
                    for form in written_forms(value):
                        if len(form) >= shortest:
                            replacements.setdefault(form, placeholder)
                alternatives = sorted(replacements, key=len, reverse=True)
                self._pattern = (
                    re.compile("|".join(map(re.escape, alternatives))) if alternatives else None
                )
                self._replacements = replacements
                self._key = key
            return self._pattern, self._replacements

    def active(self) -> bool:
        """Whether there is anything to redact."""
        return self._compiled()[0] is not None

    def __call__(self, text: str) -> str:
        """``text`` with every known value replaced; the same object when nothing was."""
        pattern, replacements = self._compiled()
        if pattern is None or not text:
            return text
        return pattern.sub(lambda match: replacements[match[0]], text)


class CleanFailure:
    """A failure shown as plain text, with ``message`` as its one-line summary.

    For errors whose message already says what happened and how to fix it, and for a
    redacted failure text. Unlike a plain string ``longrepr``, it carries
    ``reprcrash.message``, so every supported pytest puts the message (not the whole text)
    on the ``FAILED ... - message`` line of the short summary and in ``--junitxml``'s
    ``message`` attribute; ``--tb=line`` shows it too. pytest-xdist sends it as its text.
    """

    def __init__(self, text: str, message: str | None = None) -> None:
        self.text = text
        self._message = text if message is None else message
        self.reprcrash = self  # pytest reads reprcrash.message (and str(reprcrash) for --tb=line)

    @property
    def message(self) -> str:
        return self._message

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


# pprint and pytest's diffs cut a long string into adjacent literals, one a line:
#     ('... and more '                 E     + (b'abcd'
#      'words ...')                    E     +  b'efgh')
# A value cut there is found again once the literals are joined.
_LITERAL_JOIN: Final = re.compile(
    r"""['"][ \t]*\r?\n(?:E(?=[ \t]))?[ \t]*(?:[-+?][ \t]*)?[bBrRuU]{0,2}['"]"""
)
# ... and a diff shows a value that holds a line break one line at a time, each behind
# a marker: "E     + first part" / "E     + second part".
_DIFF_MARGIN: Final = re.compile(r"^(?:E(?=[ \t]|$))?[ \t]*(?:[-+?](?: |$))?", re.MULTILINE)

WITHHELD: Final = (
    "pytest-bss: this failure text was withheld: it shows a known credential cut across "
    "lines (a -vv diff or a -l local), which cannot be redacted in place. Run again without "
    "-vv / -l, or compare values that are not credentials (docs/guarantees.md)."
)


def redact_text(text: str, redact: Redactor) -> str:
    """``text`` with every known value replaced, also where pprint or a diff cut it up.

    A value cut into adjacent literals is redacted with the literals joined; one split by
    line breaks behind diff markers can't be put back in place, so the text is withheld
    (:data:`WITHHELD`) rather than shown.
    """
    clean = redact(text)
    joined = _LITERAL_JOIN.sub("", clean)
    if joined != clean and redact(joined) != joined:
        clean = redact(joined)
    unmargined = _DIFF_MARGIN.sub("", clean)
    if unmargined != clean and redact(unmargined) != unmargined:
        return WITHHELD
    return clean


def redact_report(report: Any, redact: Redactor) -> None:
    """Redact a test or collection report in place: its failure text and captured sections."""
    longrepr = report.longrepr
    if isinstance(longrepr, CleanFailure):
        report.longrepr = CleanFailure(
            redact_text(longrepr.text, redact), redact_text(longrepr.message, redact)
        )
    elif longrepr is not None:
        if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
            path, line, reason = longrepr
            report.longrepr = (redact(str(path)), line, redact_text(str(reason), redact))
        else:
            text = str(longrepr)
            clean = redact_text(text, redact)
            if clean != text:
                # The rendered text loses the terminal colours; it keeps every line, and
                # the one-line summary pytest shows for it.
                crash = getattr(longrepr, "reprcrash", None)
                message = getattr(crash, "message", None)
                report.longrepr = CleanFailure(
                    clean,
                    redact_text(message, redact) if isinstance(message, str) else None,
                )
    report.sections = [(title, redact_text(content, redact)) for title, content in report.sections]
    context = getattr(report, "context", None)  # a subtest's msg= and arguments
    if dataclasses.is_dataclass(context) and hasattr(context, "msg"):
        msg = context.msg
        kwargs = getattr(context, "kwargs", None) or {}
        report.context = dataclasses.replace(
            context,  # type: ignore[type-var]
            msg=redact_text(msg, redact) if isinstance(msg, str) else msg,
            kwargs={
                key: redact_text(value if isinstance(value, str) else repr(value), redact)
                for key, value in kwargs.items()
            },
        )
    # junit XML writes these from the report too.
    wasxfail = getattr(report, "wasxfail", None)
    if isinstance(wasxfail, str):
        report.wasxfail = redact(wasxfail)
    properties = getattr(report, "user_properties", None)
    if properties:
        report.user_properties = redact_properties(properties, redact)


def redact_properties(
    properties: Iterable[tuple[Any, Any]], redact: Redactor
) -> list[tuple[Any, Any]]:
    """``record_property`` pairs with their names and values redacted as junit writes them.

    junit XML writes ``str(value)``: a value that is not a ``str`` (bytes, a number, a
    dict) is compared in that form and, if it held anything, replaced by the redacted text.
    """
    out = []
    for name, value in properties:
        text = value if isinstance(value, str) else str(value)
        clean = redact_text(text, redact)
        out.append((redact_text(str(name), redact), clean if clean != text else value))
    return out


def _shown(value: Any) -> list[str]:
    """The texts a comparison may show of ``value``: its repr, and a string's own text."""
    texts = [_safe_repr(value)]
    if isinstance(value, str):
        texts.append(value)
    elif isinstance(value, bytes | bytearray):
        texts += [bytes(value).decode("utf-8", "replace"), bytes(value).decode("latin-1")]
    return texts


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as exc:  # a broken __repr__ must not break the report
        return f"<{type(value).__name__} object (repr raised {type(exc).__name__})>"


def explain_comparison(
    op: str, left: Any, right: Any, redact: Redactor, *, width: int = 240
) -> list[str] | None:
    """pytest's ``assert left <op> right`` explanation when an operand holds a credential.

    pytest's own explanation cuts long values into pprint chunks and shows a multi-line
    value one line at a time, where a value can't be redacted. When either operand holds
    a known value, the explanation is the two reprs, redacted and then shortened, without
    a diff; otherwise ``None`` (pytest explains as usual).
    """
    if not any(redact(text) != text for value in (left, right) for text in _shown(value)):
        return None
    sides = [_shorten(redact(_safe_repr(value)), width) for value in (left, right)]
    return [
        f"{sides[0]} {op} {sides[1]}",
        "pytest-bss: no diff is shown: a side holds a known credential (redacted above).",
    ]


def _shorten(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    half = (width - 3) // 2
    return f"{text[:half]}...{text[-half:]}"


def redact_warning(warning: Any, redact: Redactor) -> None:
    """Redact a recorded ``warnings.WarningMessage`` in place (its message and source line)."""
    message = warning.message
    text = str(message)
    clean = redact_text(text, redact)
    if clean != text:
        if isinstance(message, Warning):
            message.args = (clean,)
        else:
            warning.message = clean
    for name in ("line", "filename"):
        value = getattr(warning, name, None)
        if isinstance(value, str):
            setattr(warning, name, redact(value))


def redact_xml_attributes(config: Any, nodeid: str, redact: Redactor) -> None:
    """Redact a test's ``record_xml_attribute`` values before ``--junitxml`` renders them."""
    for plugin in config.pluginmanager.get_plugins():
        reporters = getattr(plugin, "node_reporters", None)
        if not isinstance(reporters, dict):
            continue
        for key, reporter in reporters.items():
            attrs = getattr(reporter, "attrs", None)
            if isinstance(key, tuple) and key[:1] == (nodeid,) and isinstance(attrs, dict):
                for name, value in list(attrs.items()):
                    attrs[name] = redact_text(str(value), redact)


def redact_suite_properties(config: Any, redact: Redactor) -> None:
    """Redact ``record_testsuite_property`` values before ``--junitxml`` writes them."""
    for plugin in config.pluginmanager.get_plugins():
        properties = getattr(plugin, "global_properties", None)
        if isinstance(properties, list) and hasattr(plugin, "add_global_property"):
            properties[:] = redact_properties(properties, redact)


class RedactingLogFilter(logging.Filter):
    """A handler filter that redacts a record's message and traceback before formatting."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it itself
            return True
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class RedactingStream:
    """A text stream that redacts what is written to it before passing it on."""

    def __init__(self, stream: TextIO, redact: Redactor) -> None:
        self._stream = stream
        self._redact = redact

    def write(self, text: str) -> int:
        self._stream.write(self._redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def install(config: Any, redact: Redactor) -> Callable[[], None]:
    """Redact pytest's log handlers and terminal writer; return the function that undoes it."""
    undo: list[Callable[[], None]] = []
    log_filter = RedactingLogFilter(redact)
    logging_plugin = config.pluginmanager.get_plugin("logging-plugin")
    for name in ("caplog_handler", "report_handler", "log_file_handler", "log_cli_handler"):
        handler = getattr(logging_plugin, name, None)
        if isinstance(handler, logging.Handler):
            handler.addFilter(log_filter)
            undo.append(functools.partial(handler.removeFilter, log_filter))
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(reporter, "_tw", None)
    stream = getattr(writer, "_file", None)
    if stream is not None and not isinstance(stream, RedactingStream):
        writer._file = RedactingStream(stream, redact)  # type: ignore[union-attr]
        undo.append(lambda: setattr(writer, "_file", stream))

    def undo_all() -> None:
        for step in reversed(undo):
            step()

    return undo_all
