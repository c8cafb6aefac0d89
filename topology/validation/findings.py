"""What validation produces: findings about objects of a design, gathered in a report."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from ..snapshot import ObjectRef


class Severity(StrEnum):
    """How bad a finding is. Errors make a design invalid; warnings and infos are advice."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# Errors first, then warnings, then infos: the order a reviewer reads them in.
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by one rule, about one or more objects of the design."""

    code: str
    severity: Severity
    message: str
    objects: tuple[ObjectRef, ...] = ()

    def sort_key(self) -> tuple[int, str, tuple[str, ...], str]:
        """Deterministic order: severity, rule code, object paths, message."""
        return (_SEVERITY_ORDER[self.severity], self.code, tuple(ref.path for ref in self.objects), self.message)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``object`` (the first object) is there for clients that highlight one object."""
        objects = [{"kind": ref.kind, "path": ref.path, "id": ref.id} for ref in self.objects]
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "object": objects[0] if objects else None,
            "objects": objects,
        }


class Issue(NamedTuple):
    """What a rule's check yields: a message and the objects it is about (the rule adds code and severity)."""

    message: str
    objects: tuple[ObjectRef, ...]


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Every finding of a design, sorted deterministically."""

    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        """Findings that make the design invalid."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Findings worth a look that do not block a change."""
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def infos(self) -> tuple[Finding, ...]:
        """Hints."""
        return tuple(f for f in self.findings if f.severity is Severity.INFO)

    @property
    def is_valid(self) -> bool:
        """True when there is no error (warnings and infos do not count)."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the API: validity, counts per severity and the findings."""
        return {
            "valid": self.is_valid,
            "counts": {
                "error": len(self.errors),
                "warning": len(self.warnings),
                "info": len(self.infos),
            },
            "findings": [f.as_dict() for f in self.findings],
        }
