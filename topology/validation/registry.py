"""The rule catalogue: each rule has a stable code, a severity, a title, a description and a check."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .findings import Finding, Issue, Severity
from .index import DesignIndex

Check = Callable[[DesignIndex], Iterable[Issue]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A validation rule. ``identity`` rules find duplicate names the importer refuses a document for.

    ``scope`` says what a rule's findings can depend on, for incremental validation
    (``topology.validation.incremental``): ``host`` — a host's findings depend only on that host, its VXLAN
    members and their segments, and a segment's only on that segment; ``cluster`` (the default) — only the
    hosts and VXLAN segments
    joined to each other by segment membership, plus the design's own fields; ``design`` — anything in the
    design (names unique across the design, VNIs and multicast groups, every network of the design). A
    ``design`` rule must be cheap on a large design: it runs on every validation.
    """

    code: str
    severity: Severity
    title: str
    description: str
    check: Check
    identity: bool = False
    scope: str = "cluster"

    def run(self, index: DesignIndex) -> list[Finding]:
        """Run the check and stamp its issues with this rule's code and severity."""
        return [Finding(self.code, self.severity, issue.message, issue.objects) for issue in self.check(index)]


SCOPES = ("host", "cluster", "design")

_REGISTERED: dict[str, Rule] = {}


def rule(
    code: str, severity: Severity, title: str, description: str, *, identity: bool = False, scope: str = "cluster"
) -> Callable[[Check], Check]:
    """Register the decorated check under ``code``; codes are stable and may never be reused.

    ``scope`` (``host``, ``cluster`` or ``design``): what the check's findings can depend on (see :class:`Rule`).
    """
    if scope not in SCOPES:
        raise ValueError(f"rule {code}: scope {scope!r} is not one of {', '.join(SCOPES)}")

    def register(check: Check) -> Check:
        if code in _REGISTERED:
            raise ValueError(
                f"rule code {code} registered twice ({_REGISTERED[code].check.__name__}, {check.__name__})"
            )
        _REGISTERED[code] = Rule(code, severity, title, textwrap.dedent(description).strip(), check, identity, scope)
        return check

    return register


def registered_rules() -> tuple[Rule, ...]:
    """Every registered rule, ordered by code."""
    return tuple(_REGISTERED[code] for code in sorted(_REGISTERED))
