import { PALETTE, type PaletteItemId } from '../model/palette';

export const PALETTE_MIME = 'application/x-jailnet-palette';

/** Things to add: click adds to the selected host (or switch), drag drops them where you let go. */
export function Palette({ onAdd, disabled }: { onAdd(item: PaletteItemId): void; disabled: boolean }) {
  return (
    <aside className="palette" aria-label="Palette">
      <h2>Add</h2>
      {PALETTE.map((item) => (
        <button
          key={item.id}
          type="button"
          className={`palette-item target-${item.target}`}
          draggable={!disabled}
          disabled={disabled}
          title={item.hint}
          data-testid={`palette-${item.id}`}
          onDragStart={(e) => {
            e.dataTransfer.setData(PALETTE_MIME, item.id);
            e.dataTransfer.effectAllowed = 'copy';
          }}
          onClick={() => onAdd(item.id)}
        >
          {item.label}
        </button>
      ))}
      <p className="hint">Ctrl+Z undo · Ctrl+Shift+Z redo · Del delete · F fit · L layout</p>
    </aside>
  );
}
