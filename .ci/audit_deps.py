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


SERVICES = ("pypi", "osv")  # PyPI's JSON API first, then OSV (api.osv.dev) when PyPI has no data


def _pip_audit(service: str) -> tuple[dict | None, str]:
    """pip-audit's JSON report over the virtualenv with ``service``, or None and why it did not run."""
    pip_audit = Path(sys.executable).parent / "pip-audit"
    try:
        done = subprocess.run(
            [str(pip_audit), "--format", "json", "--progress-spinner", "off", "--skip-editable",
             "--vulnerability-service", service],
            capture_output=True, text=True, timeout=TIMEOUT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None, f"{service}: no answer within {TIMEOUT} s"
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"{service}: {last[:200]}"
    dependencies = report.get("dependencies", [])
    if dependencies and all("skip_reason" in d for d in dependencies):
        first = dependencies[0]["skip_reason"][:160]
        return None, f"{service}: none of the {len(dependencies)} packages audited ({first})"
    return report, ""


def python_audit() -> int:
    """pip-audit over the virtualenv: 1 when a vulnerability is known, 0 otherwise (skipped included)."""
    reasons = []
    for service in SERVICES:
        report, reason = _pip_audit(service)
        if report is not None:
            break
        reasons.append(reason)
    else:
        print(f"audit: pip-audit SKIPPED: no vulnerability data reachable: {'; '.join(reasons)}")
        return 0
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"audit: {dep['name']} {dep['version']}: {ids}")
    print(f"audit: pip-audit ({service}) checked {len(audited)} of {len(dependencies)} packages, "
          f"{len(vulnerable)} vulnerable")  # fmt: skip
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
        summary = report.get("message") or (error.get("summary") if isinstance(error, dict) else None)
        if not summary:
            summary = (done.stderr.strip().splitlines() or ["no report"])[0]
        print(f"audit: npm audit SKIPPED: the registry's audit endpoint did not answer ({summary[:200]})")
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
