import { useState, type ChangeEvent } from 'react';
import { ApiError } from '../api/client';
import { designsApi } from '../api/designApi';
import type { Schemas } from '../api/types';
import { fieldChanges } from '../model/changes';

type Preview = Schemas['ImportPreview'];

/** The document's problems, one line each, from a refused preview or import. */
function problemsOf(error: unknown): string[] {
  if (error instanceof ApiError) {
    const fields = error.fieldErrors;
    const lines = Object.entries(fields).flatMap(([field, messages]) => messages.map((m) => (field === 'document' || field === 'non_field_errors' ? m : `${field}: ${m}`)));
    return lines.length ? lines : [error.message];
  }
  return [String(error)];
}

/**
 * Import a YAML design document: paste it or pick a file, see what it would create, update and delete,
 * object by object, then apply it. Nothing is saved before Apply.
 */
export function ImportDialog({ onClose }: { onClose(): void }) {
  const [text, setText] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  const readFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    setText(await file.text());
    setPreview(null);
  };

  const run = async <T,>(work: () => Promise<T>): Promise<T | null> => {
    setBusy(true);
    try {
      const result = await work();
      setProblems([]);
      return result;
    } catch (error) {
      setProblems(problemsOf(error));
      return null;
    } finally {
      setBusy(false);
    }
  };

  const showPreview = async () => setPreview(await run(() => designsApi.importPreview(text)));
  const apply = async () => {
    const result = await run(() => designsApi.importDocument(text));
    if (result) window.location.hash = `#/designs/${result.id}`;
  };

  const counts = preview ? (['create', 'update', 'delete'] as const).map((a) => [a, preview.changes.filter((c) => c.action === a).length] as const) : [];
  return (
    <div className="modal-backdrop" role="presentation">
      <div className="modal import-dialog" role="dialog" aria-modal="true" aria-labelledby="import-title" data-testid="import-dialog">
        <h2 id="import-title">Import a design (YAML)</h2>
        <p className="muted">Paste a document or pick a file. A document names its design: an existing design of that name is updated to match it.</p>
        <input type="file" accept=".yaml,.yml,application/yaml,text/yaml" aria-label="YAML file" onChange={(e) => void readFile(e)} />
        <textarea
          aria-label="YAML document"
          data-testid="import-text"
          rows={12}
          value={text}
          placeholder={'format: jailnet-design/1\nname: my-design\nhosts: …'}
          onChange={(e) => {
            setText(e.target.value);
            setPreview(null);
          }}
        />
        {problems.length > 0 && (
          <ul className="form-error" role="alert" data-testid="import-problems">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        {preview && (
          <section className="import-preview" data-testid="import-preview">
            <h3>
              {preview.exists ? 'Changes to the existing design' : 'A new design'}:{' '}
              {preview.changed ? counts.filter(([, n]) => n).map(([a, n]) => `${n} to ${a}`).join(', ') : 'nothing changes'}
            </h3>
            <table>
              <tbody>
                {preview.changes.map((c, i) => (
                  <tr key={i} className={`change ${c.action}`} data-testid="import-change">
                    <td className={`action ${c.action}`}>{c.action}</td>
                    <td>{c.object_type}</td>
                    <td>
                      {c.object_repr}
                      {c.host_name && <span className="muted"> on {c.host_name}</span>}
                    </td>
                    <td>
                      {c.action === 'update' &&
                        fieldChanges(c.before, c.after, c.references).map((f) => (
                          <div key={f.field}>
                            {f.field}: <del>{f.before}</del> → <ins>{f.after}</ins>
                          </div>
                        ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
        <div className="form-buttons">
          <button type="button" onClick={() => void showPreview()} disabled={!text.trim() || busy}>
            Preview
          </button>
          <button type="button" onClick={() => void apply()} disabled={!preview || busy}>
            Apply
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
