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
    """A validation rule. ``identity`` rules find duplicate names the importer refuses a document for."""

    code: str
    severity: Severity
    title: str
    description: str
    check: Check
    identity: bool = False

    def run(self, index: DesignIndex) -> list[Finding]:
        """Run the check and stamp its issues with this rule's code and severity."""
        return [Finding(self.code, self.severity, issue.message, issue.objects) for issue in self.check(index)]


_REGISTERED: dict[str, Rule] = {}


def rule(
    code: str, severity: Severity, title: str, description: str, *, identity: bool = False
) -> Callable[[Check], Check]:
    """Register the decorated check under ``code``; codes are stable and may never be reused."""

    def register(check: Check) -> Check:
        if code in _REGISTERED:
            raise ValueError(
                f"rule code {code} registered twice ({_REGISTERED[code].check.__name__}, {check.__name__})"
            )
        _REGISTERED[code] = Rule(code, severity, title, textwrap.dedent(description).strip(), check, identity)
        return check

    return register


def registered_rules() -> tuple[Rule, ...]:
    """Every registered rule, ordered by code."""
    return tuple(_REGISTERED[code] for code in sorted(_REGISTERED))
