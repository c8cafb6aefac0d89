import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { designsApi } from '../api/designApi';
import type { Design } from '../api/types';
import { CURRENT_RELEASE, endOfLifeNote } from '../model/release';
import { useDesignStore } from '../store/designStore';

/** The design's own settings, shown when nothing is selected: the FreeBSD release its hosts inherit. */
export function DesignSettings({ design, canEdit }: { design: Design; canEdit: boolean }) {
  const [release, setRelease] = useState(design.default_release ?? '');
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [saving, setSaving] = useState(false);
  const dirty = release !== (design.default_release ?? '');
  const outdated = endOfLifeNote(release);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    try {
      const saved = await designsApi.update(design.id, { default_release: release.trim(), version: design.version });
      useDesignStore.setState((s) => ({ design: saved, revision: s.revision + 1 }));
      setErrors({});
      void useDesignStore.getState().refreshValidation();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) useDesignStore.setState({ conflict: { message: error.message } });
      setErrors(error instanceof ApiError ? error.fieldErrors : { non_field_errors: [String(error)] });
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="object-form" onSubmit={save} data-testid="form-design" aria-label={`Design ${design.name}`}>
      <h3>
        Design {design.name} <span className="muted version">v{design.version}</span>
      </h3>
      {errors.non_field_errors && <div className="form-error" role="alert">{errors.non_field_errors.join(' ')}</div>}
      <div className={`field ${errors.default_release ? 'invalid' : ''}`}>
        <label htmlFor="design-default_release">Default FreeBSD release</label>
        <input id="design-default_release" name="default_release" value={release} readOnly={!canEdit} onChange={(e) => setRelease(e.target.value)} />
        <div className="hint">Hosts without a release of their own run this one; jails run their host's.</div>
        {outdated && (
          <div className="field-warning" role="status" data-testid="release-outdated">
            {outdated}{' '}
            {canEdit && (
              <button type="button" className="link" onClick={() => setRelease(CURRENT_RELEASE)}>
                Use {CURRENT_RELEASE}
              </button>
            )}
          </div>
        )}
        {errors.default_release && <div className="field-error" data-testid="error-default_release">{errors.default_release.join(' ')}</div>}
      </div>
      {canEdit && (
        <div className="form-buttons">
          <button type="submit" disabled={!dirty || saving || !release.trim()}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      )}
    </form>
  );
}
