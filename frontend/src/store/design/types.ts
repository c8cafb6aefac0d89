/** The design store's state, one interface per slice (see `designStore.ts`). */
import type { HostCounts } from '../../api/designApi';
import type { Design } from '../../api/types';
import type { DesignFinding } from '../../model/findings';
import type { Kind, ObjectOf, Objects } from '../../model/kinds';

export interface Selection {
  kind: Kind;
  id: number;
}

/** One undoable user action. */
export interface Command {
  label: string;
  undo(): Promise<void>;
  redo(): Promise<void>;
}

export interface Conflict {
  message: string;
}

export interface PositionChange {
  kind: 'host' | 'switch' | 'jail' | 'vm' | 'vxlanSegment';
  id: number;
  x: number;
  y: number;
}

/** The loaded design: its objects, which hosts are loaded and collapsed, and what the server said of it. */
export interface LoadSlice {
  designId: number | null;
  design: Design | null;
  objects: Objects;
  loading: boolean;
  /** Bumped after every change the server accepted: views that derive from the design refresh on it. */
  revision: number;
  collapsed: Record<number, boolean>;
  /**
   * Hosts whose objects are in `objects`; null when the whole design is loaded. A large design loads its
   * overview first (hosts, switches, VXLAN segments and members) and each host's objects when it is shown.
   */
  loadedHosts: Record<number, boolean> | null;
  /** Per host, its counts from the overview (for collapsed hosts whose objects are not loaded). */
  hostCounts: Record<number, HostCounts>;
  /** Someone else changed the design since it was loaded (from the live events). */
  remoteChange: { users: string[]; count: number } | null;

  load(designId: number): Promise<void>;
  reload(): Promise<void>;
  noteRemoteChange(user: string): void;
  /** Fetch the objects again, keeping selection and history (after someone else's change). */
  refresh(): Promise<void>;
  toggleCollapsed(hostId: number): void;
  setAllCollapsed(collapsed: boolean): void;
  /** Fetch the objects of these hosts unless loaded already (merged into `objects`). */
  ensureHosts(hostIds: number[]): Promise<void>;
  /** Make sure an object is in `objects` (loading its host if needed); false when it cannot be found. */
  ensureObject(ref: Selection): Promise<boolean>;
}

/** The user's changes: writes to the server and their undo/redo history. */
export interface EditSlice {
  canEdit: boolean;
  busy: boolean;
  undoStack: Command[];
  redoStack: Command[];

  setCanEdit(canEdit: boolean): void;
  createObject<K extends Kind>(kind: K, data: Record<string, unknown>, label?: string): Promise<ObjectOf<K> | null>;
  updateObject<K extends Kind>(kind: K, id: number, changes: Record<string, unknown>): Promise<ObjectOf<K> | null>;
  deleteObject(kind: Kind, id: number): Promise<boolean>;
  savePositions(changes: PositionChange[], label?: string): Promise<void>;
  /**
   * A write of objects the store does not hold (a host's firewall rules): `command.redo` does it, in the
   * write queue, and the command goes on the undo history; its errors reach the caller, nothing is pushed.
   */
  runCommand(command: Command): Promise<void>;
  undo(): Promise<void>;
  redo(): Promise<void>;
}

/** What the user looks at: the selection, validation findings, errors and conflicts to show. */
export interface ViewSlice {
  selection: Selection | null;
  findings: DesignFinding[];
  validationError: string | null;
  conflict: Conflict | null;
  error: string | null;

  select(selection: Selection | null): void;
  setError(error: string | null): void;
  dismissConflict(): void;
  refreshValidation(): Promise<void>;
}

export type DesignState = LoadSlice & EditSlice & ViewSlice;
