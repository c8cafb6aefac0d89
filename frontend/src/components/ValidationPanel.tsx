import { useShallow } from 'zustand/react/shallow';
import type { DesignFinding } from '../model/findings';
import { LABELS } from '../model/kinds';
import { useDesignStore } from '../store/designStore';

/** The design's validation findings; clicking one selects and shows the object it is about. */
export function ValidationPanel({ onFocus }: { onFocus(finding: DesignFinding): void }) {
  const { findings, validationError, refresh } = useDesignStore(
    useShallow((s) => ({ findings: s.findings, validationError: s.validationError, refresh: s.refreshValidation })),
  );
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  return (
    <div className="validation-panel" data-testid="validation-panel">
      <div className="validation-summary">
        {validationError ? (
          <span className="form-error">Validation is not available: {validationError}</span>
        ) : findings.length === 0 ? (
          <span className="ok" data-testid="validation-ok">No findings: the design is valid.</span>
        ) : (
          <span>
            {errors} error{errors === 1 ? '' : 's'}, {warnings} warning{warnings === 1 ? '' : 's'}
          </span>
        )}
        <button type="button" onClick={() => void refresh()}>Re-check</button>
      </div>
      <ul className="findings">
        {findings.map((f, i) => (
          <li key={`${f.code}-${i}`} className={`finding ${f.severity}`}>
            <button type="button" onClick={() => onFocus(f)} data-testid="finding" disabled={f.objects.length === 0}>
              <span className="severity">{f.severity}</span> <code>{f.code}</code> {f.message}
              {f.objects.length > 0 && (
                <span className="finding-objects">{f.paths.length ? f.paths.join(', ') : f.objects.map((o) => `${LABELS[o.kind]} ${o.id}`).join(', ')}</span>
              )}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
