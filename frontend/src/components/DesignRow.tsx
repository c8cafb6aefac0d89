import { useState } from 'react';
import { ApiError } from '../api/client';
import { designsApi } from '../api/designApi';
import type { Design } from '../api/types';

function messageOf(error: unknown): string {
  if (error instanceof ApiError) return Object.values(error.fieldErrors).flat().join(' ') || error.message;
  return String(error);
}

/** One design in the list: name, owner, description, when it last changed; rename, clone, archive. */
export function DesignRow({ design, canEdit, onChanged }: { design: Design; canEdit: boolean; onChanged(): void }) {
  const [mode, setMode] = useState<'view' | 'rename' | 'clone'>('view');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);

  const run = async (work: () => Promise<unknown>) => {
    try {
      await work();
      setMode('view');
      setError(null);
      onChanged();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const submit = () =>
    void run(() =>
      mode === 'rename' ? designsApi.update(design.id, { name, version: design.version }) : designsApi.clone(design.id, name),
    );

  return (
    <tr data-testid={`design-row-${design.name}`} className={design.archived ? 'archived' : undefined}>
      <td>
        {mode === 'view' ? (
          <a href={`#/designs/${design.id}`}>{design.name}</a>
        ) : (
          <form
            className="inline-name"
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            <input aria-label={mode === 'rename' ? 'New name' : 'Name of the copy'} value={name} autoFocus onChange={(e) => setName(e.target.value)} />
            <button type="submit" disabled={!name}>{mode === 'rename' ? 'Rename' : 'Clone'}</button>
            <button type="button" onClick={() => setMode('view')}>Cancel</button>
          </form>
        )}
        {design.archived && <span className="muted"> (archived)</span>}
        {error && <div className="field-error">{error}</div>}
      </td>
      <td>{design.owner || <span className="muted">—</span>}</td>
      <td className="description">{design.description}</td>
      <td className="muted">{new Date(design.last_updated).toLocaleString()}</td>
      {canEdit && mode !== 'view' && <td />}
      {canEdit && mode === 'view' && (
        <td className="row-actions">
          <button type="button" className="link" onClick={() => { setName(design.name); setMode('rename'); }}>Rename</button>
          <button type="button" className="link" onClick={() => { setName(`${design.name}-copy`); setMode('clone'); }}>Clone</button>
          <button type="button" className="link" onClick={() => void run(() => designsApi.update(design.id, { archived: !design.archived, version: design.version }))}>
            {design.archived ? 'Unarchive' : 'Archive'}
          </button>
        </td>
      )}
    </tr>
  );
}
