"""Known secrets are masked in everything the process writes: job output, error messages, log records.

A secret enters a process's memory only where it is decrypted or set (``inventory.Credential``) or handed to
the SSH transport (:class:`executors.ssh.SshTarget`); those places call :func:`remember_secret`. From then on
:func:`scrub` replaces every fragment of it with ``MASK`` in any text: the transport scrubs what a host prints
and its error messages, the job log what it stores and sends, and the log record factory installed by
:func:`install_log_scrubber` every log line of the process (Celery's worker included). So a host that echoes a
password (a ``set -x`` script, a hostile login shell), or an error message that quotes one, stores and shows
``[secret]``.

Fragments: the whole secret, and for a multi-line secret (a private key) each of its lines of 16 characters or
more and its body without line breaks, since output is cut into lines. Secrets shorter than ``MIN_LENGTH`` are
not masked (masking ``root`` or ``1`` would garble every line; such a password is refused nowhere else, but
it is no secret worth the name either).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

MASK = "[secret]"
MIN_LENGTH = 6
MIN_LINE = 16
MAX_REMEMBERED = 4096  # fragments kept per process; the oldest go first (a worker serving many hosts)

_lock = threading.Lock()
_fragments: dict[str, None] = {}  # ordered set
_pattern: re.Pattern[str] | None = None


def fragments_of(secret: str) -> list[str]:
    """The pieces of ``secret`` that are masked wherever they appear."""
    secret = secret.strip("\r\n")
    if len(secret) < MIN_LENGTH:
        return []
    found = [secret]
    lines = [line.strip() for line in secret.splitlines()]
    if len(lines) > 1:
        body = [line for line in lines if line and not line.startswith("-----")]
        found += [line for line in body if len(line) >= MIN_LINE]
        if body:
            found.append("".join(body))
    return found


def remember_secret(secret: str | None) -> None:
    """Mask ``secret`` from now on in this process."""
    global _pattern
    if not secret:
        return
    new = [f for f in fragments_of(secret) if f not in _fragments]
    if not new:
        return
    with _lock:
        for fragment in new:
            _fragments[fragment] = None
        while len(_fragments) > MAX_REMEMBERED:
            del _fragments[next(iter(_fragments))]
        # Longest first: a whole key is masked as one, not as its lines.
        ordered = sorted(_fragments, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(f) for f in ordered))


def forget_secrets() -> None:
    """Forget every remembered secret (tests)."""
    global _pattern
    with _lock:
        _fragments.clear()
        _pattern = None


def scrub(text: str) -> str:
    """``text`` with every remembered secret replaced by ``MASK``."""
    pattern = _pattern
    if pattern is None or not text or not isinstance(text, str):
        return text
    return pattern.sub(MASK, text)


def scrub_value(value: Any) -> Any:
    """``value`` with secrets masked in its strings (lists, tuples and dicts walked)."""
    if _pattern is None:
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list | tuple):
        return type(value)(scrub_value(v) for v in value)
    if isinstance(value, dict):
        return {k: scrub_value(v) for k, v in value.items()}
    return value


def install_log_scrubber() -> None:
    """Mask known secrets in every log record this process creates (message, arguments and traceback).

    A record factory rather than a handler filter: Celery's worker and third-party libraries install their own
    handlers, and every record passes through the factory whichever handler writes it. Idempotent.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "jailnet_scrubs", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _pattern is None:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return record
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return record

    factory.jailnet_scrubs = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
