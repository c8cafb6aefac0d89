"""Known-vulnerability audit of the Python and npm dependencies (`make audit`, part of `make lint`).

Fails when pip-audit finds a known vulnerability in the virtualenv, or `npm audit` one of high or critical
severity in the frontend's packages. Both need their registry's vulnerability service; when it cannot be
reached (no network, or a mirror that serves packages but no advisories), the audit says so plainly and is
skipped: that is no pass, and the message says which audit did not run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180


def python_audit() -> int:
    """pip-audit over the virtualenv: 1 when a vulnerability is known, 0 otherwise (skipped included)."""
    pip_audit = Path(sys.executable).parent / "pip-audit"
    try:
        done = subprocess.run(
            [str(pip_audit), "--format", "json", "--progress-spinner", "off", "--skip-editable"],
            capture_output=True, text=True, timeout=TIMEOUT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        print(f"audit: pip-audit SKIPPED: no answer from PyPI's vulnerability service within {TIMEOUT} s")
        return 0
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"audit: pip-audit SKIPPED: the vulnerability service could not be reached ({last[:200]})")
        return 0
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    if dependencies and not audited:
        print(f"audit: pip-audit SKIPPED: PyPI's vulnerability service knew none of the {len(dependencies)} packages "
              "(a mirror without advisories, or no network)")  # fmt: skip
        return 0
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"audit: {dep['name']} {dep['version']}: {ids}")
    print(f"audit: pip-audit checked {len(audited)} of {len(dependencies)} packages, {len(vulnerable)} vulnerable")
    return 1 if vulnerable else 0


def npm_audit() -> int:
    """npm audit of the frontend: 1 when a high or critical advisory applies, 0 otherwise (skipped included)."""
    frontend = ROOT / "frontend"
    if not (frontend / "package-lock.json").exists():
        print("audit: npm audit SKIPPED: no frontend/package-lock.json")
        return 0
    try:
        done = subprocess.run(
            ["npm", "audit", "--json", "--audit-level=high"], cwd=frontend, capture_output=True, text=True,
            timeout=TIMEOUT,
        )  # fmt: skip
    except (subprocess.TimeoutExpired, FileNotFoundError) as exc:
        print(f"audit: npm audit SKIPPED: {exc}")
        return 0
    try:
        report = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    if "error" in report or "metadata" not in report:
        error = report.get("error", {})
        summary = error.get("summary") if isinstance(error, dict) else None
        print(
            f"audit: npm audit SKIPPED: the registry's audit endpoint did not answer ({(summary or 'no report')[:200]})"
        )
        return 0
    counts = report["metadata"].get("vulnerabilities", {})
    high = int(counts.get("high", 0)) + int(counts.get("critical", 0))
    print(f"audit: npm audit: {counts}")
    return 1 if high else 0


def main() -> int:
    """Run both audits; fail if either found something."""
    return max(python_audit(), npm_audit())


if __name__ == "__main__":
    sys.exit(main())
