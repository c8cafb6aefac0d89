export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  onConfirm(): void;
}

/** A modal asking the user to confirm a destructive action. */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose(): void }) {
  if (!request) return null;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={request.title} onClick={(e) => e.stopPropagation()}>
        <h2>{request.title}</h2>
        <p>{request.message}</p>
        <div className="modal-buttons">
          <button onClick={onClose} autoFocus>Cancel</button>
          <button
            className="danger"
            onClick={() => {
              request.onConfirm();
              onClose();
            }}
          >
            {request.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
