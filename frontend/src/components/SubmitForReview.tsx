import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { changeRequestsApi } from '../api/changeApi';
import type { Design } from '../api/types';

/** “Submit for review” in the designer: opens a change request for the design as it is now, and submits it. */
export function SubmitForReview({ design, errorCount }: { design: Design; errorCount: number }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await changeRequestsApi.create(design.id, title.trim(), description);
      await changeRequestsApi.submit(created.id);
      setOpen(false);
      window.location.hash = `#/change-requests/${created.id}`;
    } catch (e) {
      setError(e instanceof ApiError ? Object.values(e.fieldErrors).flat().join(' ') || e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button className="primary" onClick={() => setOpen(true)} data-testid="submit-for-review">Submit for review</button>
      {open && (
        <div className="modal-backdrop" onClick={() => !busy && setOpen(false)}>
          <form className="modal" onSubmit={submit} onClick={(e) => e.stopPropagation()} aria-label="Submit for review">
            <h2>Submit “{design.name}” for review</h2>
            <p className="hint">The design is frozen as it is now: its documents, validation and each host's configuration, with a diff against what is deployed.</p>
            {errorCount > 0 && <p className="form-error">The design has {errorCount} validation error{errorCount === 1 ? '' : 's'}: it can be reviewed but not approved.</p>}
            <div className="field">
              <label htmlFor="cr-title">Title</label>
              <input id="cr-title" value={title} onChange={(e) => setTitle(e.target.value)} autoFocus required maxLength={200} />
            </div>
            <div className="field">
              <label htmlFor="cr-description">Description</label>
              <textarea id="cr-description" value={description} onChange={(e) => setDescription(e.target.value)} rows={4} />
            </div>
            {error && <div className="form-error" role="alert">{error}</div>}
            <div className="modal-buttons">
              <button type="button" onClick={() => setOpen(false)} disabled={busy}>Cancel</button>
              <button type="submit" className="primary" disabled={busy || !title.trim()}>Submit</button>
            </div>
          </form>
        </div>
      )}
    </>
  );
}
