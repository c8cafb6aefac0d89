import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  ConnectionMode,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type IsValidConnection,
  type NodeChange,
} from '@xyflow/react';
import { useShallow } from 'zustand/react/shallow';
import { ApiError } from '../api/client';
import { watchDesign } from '../api/events';
import { edgeTypes, nodeTypes, type DesignerNode } from '../nodes';
import { badgesByNode, nodeIdOf, type DesignFinding } from '../model/findings';
import { buildGraph, nodeId, parseNodeId, SIZES, whileDragging } from '../model/graph';
import { type AnyObject, type Kind } from '../model/kinds';
import { layoutDesign } from '../model/layout';
import { planPaletteItem, type PaletteItemId } from '../model/palette';
import { planConnection } from '../model/rules';
import { canvasIdOf, hostIdOf, switchIdOf } from '../model/selection';
import { useConfirmStore } from '../store/confirmStore';
import { useDesignStore, type PositionChange } from '../store/designStore';
import { canEditDesigns, useSessionStore } from '../store/sessionStore';
import { ConfigView } from './ConfigView';
import { ConfirmDialog } from './ConfirmDialog';
import { Header } from './Header';
import { Palette, PALETTE_MIME } from './Palette';
import { askDelete, PropertyPanel } from './PropertyPanel';
import { ValidationPanel } from './ValidationPanel';
import { DiagnosticsPanel } from '../diagnostics/DiagnosticsPanel';
import { useDiagnosticsStore } from '../diagnostics/diagnosticsStore';
import { designTarget, driftAsFindings, targetOfNode } from '../diagnostics/targets';
import { SubmitForReview } from './SubmitForReview';

const POSITIONED: ReadonlySet<string> = new Set(['host', 'switch', 'jail', 'vm', 'vxlanSegment']);
const TOP_LEVEL_ITEMS: ReadonlySet<PaletteItemId> = new Set(['jailhost', 'gateway', 'vxlan']);
const ATTACHABLE: ReadonlySet<PaletteItemId> = new Set(['vnet-jail', 'vm']);

type Tab = 'properties' | 'validation' | 'config';

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return Boolean(el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable));
}

function Canvas({ designId }: { designId: number }) {
  const me = useSessionStore((s) => s.me);
  const canEdit = canEditDesigns(me);
  const store = useDesignStore(
    useShallow((s) => ({
      design: s.design,
      objects: s.objects,
      collapsed: s.collapsed,
      loadedHosts: s.loadedHosts,
      hostCounts: s.hostCounts,
      findings: s.findings,
      selection: s.selection,
      loading: s.loading,
      conflict: s.conflict,
      remoteChange: s.remoteChange,
      error: s.error,
      undoCount: s.undoStack.length,
      redoCount: s.redoStack.length,
      busy: s.busy,
    })),
  );
  const actions = useDesignStore(
    useShallow((s) => ({
      load: s.load,
      reload: s.reload,
      select: s.select,
      setError: s.setError,
      setCanEdit: s.setCanEdit,
      createObject: s.createObject,
      updateObject: s.updateObject,
      savePositions: s.savePositions,
      undo: s.undo,
      redo: s.redo,
      toggleCollapsed: s.toggleCollapsed,
      setAllCollapsed: s.setAllCollapsed,
    })),
  );
  const { objects, collapsed, loadedHosts, hostCounts, findings, selection } = store;
  const flow = useReactFlow<DesignerNode, Edge>();
  const [tab, setTab] = useState<Tab>('properties');
  const confirm = useConfirmStore(useShallow((s) => ({ request: s.request, close: s.close })));

  useEffect(() => {
    actions.setCanEdit(canEdit);
  }, [actions, canEdit]);
  // useReactFlow's helpers change identity once the viewport is ready: load on the design id alone.
  const flowRef = useRef(flow);
  flowRef.current = flow;
  useEffect(() => {
    void useDesignStore.getState().load(designId);
  }, [designId]);
  // Others' changes (live events): say who, and offer to show them; our own are already here.
  const username = me?.username;
  useEffect(
    () =>
      watchDesign(designId, (event) => {
        if (event.user && event.user === username) return;
        useDesignStore.getState().noteRemoteChange(event.user || 'someone');
        void useDesignStore.getState().refreshValidation();
      }),
    [designId, username],
  );

  const drift = useDiagnosticsStore((s) => s.drift);
  const openDiagnostics = useDiagnosticsStore((s) => s.open);
  // Drift findings badge the diagram like validation findings (both point at design objects).
  const badges = useMemo(() => badgesByNode(objects, [...findings, ...driftAsFindings(drift)]), [objects, findings, drift]);
  const selectedId = selection ? canvasIdOf(selection) : null;
  const graph = useMemo(
    () => buildGraph(objects, { collapsed, badges, selectedId, canEdit, loadedHosts, hostCounts }),
    [objects, collapsed, badges, selectedId, canEdit, loadedHosts, hostCounts],
  );
  const [nodes, setNodes] = useState<DesignerNode[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  useEffect(() => {
    // Keep what React Flow measured: a node without `measured` loses its handle bounds, and its edges vanish.
    setNodes((previous) => {
      const measured = new Map(previous.map((n) => [n.id, n.measured]));
      return graph.nodes.map((n) => (measured.get(n.id) ? { ...n, measured: measured.get(n.id) } : n));
    });
    setEdges(graph.edges);
  }, [graph]);
  // While nodes are dragged their edges keep their routed look: those that change are routed again for
  // where the nodes are, once a frame, and once more where the drag ends (until the saved positions come
  // back); the networks between hosts follow their hosts.
  const dragged = useRef(false);
  useEffect(() => {
    const dragging = nodes.some((n) => n.dragging);
    if (!dragging && !dragged.current) return;
    dragged.current = dragging;
    const frame = requestAnimationFrame(() => {
      const next = whileDragging(nodes, graph);
      if (next.nodes !== nodes) {
        const moved = new Map(next.nodes.filter((n) => n.type === 'underlay').map((n) => [n.id, n.position]));
        setNodes((current) => current.map((n) => (moved.has(n.id) && moved.get(n.id) !== n.position ? { ...n, position: moved.get(n.id)! } : n)));
      }
      setEdges(next.edges);
    });
    return () => cancelAnimationFrame(frame);
  }, [nodes, graph]);

  // Fit the design into view once, when its nodes are first there. Every node has an explicit size, so
  // there is no need to wait for measurements — which, with onlyRenderVisibleElements, never come for
  // the nodes out of view (a large design would never be fitted); `includeHiddenNodes` makes React Flow
  // count them by their declared size (otherwise it fits only the nodes it has measured).
  const fittedDesign = useRef<number | null>(null);
  useEffect(() => {
    if (!nodes.length || store.design?.id !== designId || fittedDesign.current === designId) return;
    fittedDesign.current = designId;
    // A design loaded whole counts every node (the networks drawn above it too); a large one, loaded lazily,
    // opens on what React Flow rendered first rather than on all its hosts at a tiny scale.
    const whole = useDesignStore.getState().loadedHosts === null;
    requestAnimationFrame(() => void flowRef.current.fitView({ padding: 0.15, maxZoom: 1, includeHiddenNodes: whole }));
  }, [nodes.length, store.design?.id, designId]);

  const onNodesChange = useCallback((changes: NodeChange<DesignerNode>[]) => setNodes((nds) => applyNodeChanges(changes.filter((c) => c.type !== 'remove'), nds)), []);
  const onEdgesChange = useCallback((changes: EdgeChange[]) => setEdges((eds) => applyEdgeChanges(changes.filter((c) => c.type !== 'remove'), eds)), []);

  const isValidConnection: IsValidConnection = useCallback(
    (connection) => planConnection(objects, connection.source, connection.target).ok,
    [objects],
  );
  const onConnect = useCallback(
    async (connection: Connection) => {
      // Either end may be in a host not loaded yet (a large design): load those hosts first.
      const ends = [connection.source, connection.target].map((id) => parseNodeId(id)).filter((ref) => ref !== null);
      const hosts = ends.map((ref) => hostIdOf(objects, ref)).filter((id): id is number => id !== null);
      if (hosts.length) await useDesignStore.getState().ensureHosts(hosts);
      const plan = planConnection(useDesignStore.getState().objects, connection.source, connection.target);
      if (!plan.ok) return actions.setError(plan.reason);
      try {
        const created = await actions.createObject(plan.kind, plan.data, 'connect');
        if (created && plan.owner) await actions.updateObject(plan.owner.kind, plan.owner.id, plan.owner.changes);
        // The jail (its form holds the new NIC) or VM rather than the NIC: what the user edits next.
        if (created) actions.select(plan.owner ?? (plan.kind === 'jailNic' ? { kind: 'jail', id: Number(plan.data.jail) } : { kind: plan.kind, id: created.id }));
        setTab('properties');
      } catch (error) {
        actions.setError(error instanceof ApiError ? JSON.stringify(error.body) : String(error));
      }
    },
    [objects, actions],
  );
  /** Say why a connection was refused (e.g. a VM dropped on another host's switch). */
  const onConnectEnd = useCallback(
    (_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.fromNode && state.toNode && !state.isValid) {
        const plan = planConnection(objects, state.fromNode.id, state.toNode.id);
        if (!plan.ok) actions.setError(plan.reason);
      }
    },
    [objects, actions],
  );

  const selectCanvasId = useCallback(
    (id: string) => {
      if (id.startsWith('dhcpEdge:')) return actions.select({ kind: 'dhcpService', id: Number(id.split(':')[1]) });
      const ref = parseNodeId(id);
      if (ref && ref.kind in objects) actions.select(ref);
    },
    [actions, objects],
  );

  const onNodeDragStop = useCallback(
    (_: unknown, __: DesignerNode, dragged: DesignerNode[]) => {
      const changes: PositionChange[] = [];
      for (const node of dragged) {
        const ref = parseNodeId(node.id);
        if (!ref || !POSITIONED.has(ref.kind)) continue;
        changes.push({ kind: ref.kind as PositionChange['kind'], id: ref.id, x: node.position.x, y: node.position.y });
      }
      if (changes.length) void actions.savePositions(changes);
    },
    [actions],
  );

  /** Where a clicked (not dropped) host goes: right of everything; a segment: above everything. */
  const canvasRef = useRef<HTMLDivElement>(null);
  const spotBesideContent = useCallback(
    (item: PaletteItemId) => {
      // Design objects only: the networks between hosts are drawn relative to them.
      const top = nodes.filter((n) => !n.parentId && n.type !== 'underlay');
      if (!top.length) return { x: 0, y: 0 };
      const right = Math.max(...top.map((n) => n.position.x + (n.measured?.width ?? n.width ?? 0)));
      const left = Math.min(...top.map((n) => n.position.x));
      const topY = Math.min(...top.map((n) => n.position.y));
      const hostsTop = Math.min(...top.filter((n) => n.type === 'host').map((n) => n.position.y), topY + 200);
      if (item !== 'vxlan') return { x: right + 60, y: hostsTop };
      const segments = top.filter((n) => n.type === 'vxlan');
      return { x: left + segments.length * (SIZES.vxlan.width + 30), y: Math.min(topY, hostsTop - SIZES.vxlan.height - 80) };
    },
    [nodes],
  );

  const addItem = useCallback(
    async (item: PaletteItemId, flowPosition: { x: number; y: number } | null) => {
      if (!canEdit || useDesignStore.getState().loading) return;
      let hostId = hostIdOf(objects, selection);
      let position = flowPosition;
      if (!flowPosition && TOP_LEVEL_ITEMS.has(item)) position = spotBesideContent(item);
      // A VNET jail or VM dropped on a switch (or added while a switch is selected) is attached to it at once.
      let attachTo: number | null = null;
      if (ATTACHABLE.has(item)) {
        if (flowPosition) {
          const hit = flow.getIntersectingNodes({ x: flowPosition.x, y: flowPosition.y, width: 1, height: 1 }).find((n) => n.type === 'switch');
          attachTo = hit ? (parseNodeId(hit.id)?.id ?? null) : null;
        } else if (selection?.kind === 'switch') attachTo = selection.id;
      }
      if (flowPosition) {
        const host = nodes.find((n) => {
          if (n.type !== 'host') return false;
          const w = n.measured?.width ?? n.width ?? 0;
          const h = n.measured?.height ?? n.height ?? 0;
          return flowPosition.x >= n.position.x && flowPosition.x <= n.position.x + w && flowPosition.y >= n.position.y && flowPosition.y <= n.position.y + h;
        });
        if (host) {
          hostId = parseNodeId(host.id)!.id;
          // Dropped on a switch: the guest goes just below it, its NIC's edge short and clear.
          const below = attachTo !== null ? SIZES.switch.height + 40 : 0;
          position = { x: flowPosition.x - host.position.x, y: flowPosition.y - host.position.y + below };
        } else if (!TOP_LEVEL_ITEMS.has(item)) {
          hostId = null;
        }
      }
      const hostIds = Object.keys(objects.host).map(Number);
      if (hostId === null && hostIds.length === 1 && !flowPosition) hostId = hostIds[0];
      // Into a host not loaded yet (a large design): load it first, so names and addresses do not clash.
      if (hostId !== null) await useDesignStore.getState().ensureHosts([hostId]);
      const known = useDesignStore.getState().objects;
      let switchId = switchIdOf(known, selection);
      if (switchId === null && hostId !== null) {
        const switches = Object.values(known.switch).filter((s) => s.host.id === hostId);
        if (switches.length === 1) switchId = switches[0].id;
      }
      const plan = planPaletteItem(item, { objects: known, designId, hostId, switchId, position });
      if (!plan.ok) return actions.setError(plan.reason);
      try {
        const targetHost = typeof plan.data.host === 'number' ? objects.host[plan.data.host] : undefined;
        if (targetHost && plan.hostFlags) {
          const missing = Object.fromEntries(Object.entries(plan.hostFlags).filter(([flag]) => !(targetHost as unknown as Record<string, unknown>)[flag]));
          if (Object.keys(missing).length) await actions.updateObject('host', targetHost.id, missing);
        }
        const created = await actions.createObject(plan.kind, plan.data);
        if (created && attachTo !== null && (plan.kind === 'jail' || plan.kind === 'vm')) {
          const nic = planConnection(useDesignStore.getState().objects, nodeId(plan.kind, created.id), nodeId('switch', attachTo));
          if (nic.ok) {
            await actions.createObject(nic.kind, nic.data, 'connect');
            if (nic.owner) await actions.updateObject(nic.owner.kind, nic.owner.id, nic.owner.changes);
          }
        }
        if (created) {
          actions.select({ kind: plan.kind, id: created.id });
          setTab('properties');
          // A new host or segment may be outside the view: show everything.
          if (!flowPosition && TOP_LEVEL_ITEMS.has(item)) setTimeout(() => void flow.fitView({ padding: 0.15, maxZoom: 1, includeHiddenNodes: true }), 50);
        }
      } catch (error) {
        actions.setError(error instanceof ApiError ? Object.values(error.fieldErrors).flat().join(' ') || error.message : String(error));
      }
    },
    [canEdit, objects, selection, nodes, designId, actions, spotBesideContent, flow],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      const item = event.dataTransfer.getData(PALETTE_MIME) as PaletteItemId;
      if (!item) return;
      event.preventDefault();
      void addItem(item, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [addItem, flow],
  );

  const autoLayout = useCallback(async () => {
    const changes = await layoutDesign(objects, collapsed);
    await actions.savePositions(changes, 'auto-layout');
    requestAnimationFrame(() => void flow.fitView({ padding: 0.15, duration: 300, maxZoom: 1, includeHiddenNodes: true }));
  }, [objects, collapsed, actions, flow]);

  const deleteSelection = useCallback(() => {
    if (!selection || !canEdit) return;
    const obj = (objects[selection.kind] as Record<number, AnyObject>)[selection.id];
    if (obj) askDelete(selection.kind, obj);
  }, [selection, canEdit, objects]);

  const focusObject = useCallback(
    (ref: { kind: Kind; id: number }) => {
      actions.select(ref);
      const show = () => {
        const { objects, collapsed } = useDesignStore.getState();
        const nodeId = nodeIdOf(objects, ref);
        if (!nodeId) return;
        const hostId = hostIdOf(objects, ref);
        if (hostId !== null && collapsed[hostId] && ref.kind !== 'host') actions.toggleCollapsed(hostId);
        setTimeout(() => void flow.fitView({ nodes: [{ id: nodeId }], duration: 300, maxZoom: 1.2, padding: 0.5 }), 50);
      };
      // An object of a host not loaded yet (a large design): load that host first.
      if (nodeIdOf(useDesignStore.getState().objects, ref)) show();
      else void useDesignStore.getState().ensureObject(ref).then((found) => found && show());
    },
    [actions, flow],
  );
  const focusFinding = useCallback((finding: DesignFinding) => finding.objects[0] && focusObject(finding.objects[0]), [focusObject]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target) || confirm.request) return;
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (mod && key === 'z' && !event.shiftKey) {
        event.preventDefault();
        if (canEdit) void actions.undo();
      } else if (mod && (key === 'y' || (key === 'z' && event.shiftKey))) {
        event.preventDefault();
        if (canEdit) void actions.redo();
      } else if (!mod && (event.key === 'Delete' || event.key === 'Backspace')) {
        event.preventDefault();
        deleteSelection();
      } else if (!mod && key === 'f') {
        void flow.fitView({ padding: 0.15, duration: 300, maxZoom: 1, includeHiddenNodes: true });
      } else if (!mod && key === 'l' && canEdit) {
        void autoLayout();
      } else if (event.key === 'Escape') {
        actions.select(null);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions, canEdit, deleteSelection, flow, autoLayout, confirm.request]);

  const errorCount = findings.filter((f) => f.severity === 'error').length;
  const anyCollapsed = Object.values(collapsed).some(Boolean);

  return (
    <div className="page designer">
      <Header>
        <a href="#/">Designs</a> / <strong data-testid="design-name">{store.design?.name ?? '…'}</strong>
        {canEdit && (
          <>
            <button onClick={() => void actions.undo()} disabled={!store.undoCount || store.busy} title="Undo (Ctrl+Z)" data-testid="undo">Undo</button>
            <button onClick={() => void actions.redo()} disabled={!store.redoCount || store.busy} title="Redo (Ctrl+Shift+Z)" data-testid="redo">Redo</button>
            <button onClick={() => void autoLayout()} title="Auto-layout (L)" data-testid="auto-layout">Auto-layout</button>
          </>
        )}
        <button onClick={() => void flow.fitView({ padding: 0.15, duration: 300, maxZoom: 1, includeHiddenNodes: true })} title="Fit view (F)">Fit</button>
        <button onClick={() => actions.setAllCollapsed(!anyCollapsed)}>{anyCollapsed ? 'Expand hosts' : 'Collapse hosts'}</button>
        <a href={`/api/designs/${designId}/export/`} download>Export YAML</a>
        <a href={`#/designs/${designId}/history`}>History</a>
        <a href={`#/designs/${designId}/lab`} data-testid="design-lab-link">Lab</a>
        <button onClick={() => openDiagnostics((selectedId && targetOfNode(objects, selectedId)) || designTarget(objects))} title="Diagnostics of the selected host, switch or segment (else of every host)" data-testid="open-diagnostics">Diagnostics</button>
        {canEdit && store.design && <SubmitForReview design={store.design} errorCount={errorCount} />}
      </Header>
      {store.conflict && (
        <div className="banner conflict" role="alert" data-testid="conflict">
          {store.conflict.message}
          <button onClick={() => void actions.reload()}>Reload</button>
        </div>
      )}
      {store.remoteChange && !store.conflict && (
        <div className="banner info" role="status" data-testid="remote-change">
          {store.remoteChange.users.join(', ')} changed this design ({store.remoteChange.count} change{store.remoteChange.count === 1 ? '' : 's'}).
          <button onClick={() => void useDesignStore.getState().refresh()}>Show their changes</button>
        </div>
      )}
      {store.error && (
        <div className="banner error" role="alert" data-testid="error-banner">
          {store.error}
          <button onClick={() => actions.setError(null)} aria-label="Dismiss">×</button>
        </div>
      )}
      {!canEdit && <div className="banner info" data-testid="viewer-banner">You can look at this design but not change it (your roles: {me?.roles.join(', ') || 'none'}).</div>}
      <div className="workspace">
        {canEdit && <Palette onAdd={(item) => void addItem(item, null)} disabled={store.loading} />}
        <div className="canvas" ref={canvasRef} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; }} onDrop={onDrop}>
          {store.loading && !store.design && <div className="canvas-loading">Loading…</div>}
          <ReactFlow<DesignerNode, Edge>
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={(c) => void onConnect(c)}
            onConnectEnd={onConnectEnd}
            isValidConnection={isValidConnection}
            connectionMode={ConnectionMode.Loose}
            onNodeClick={(_, node) => {
              selectCanvasId(node.id);
              setTab('properties');
            }}
            onEdgeClick={(_, edge) => {
              selectCanvasId(edge.id);
              setTab('properties');
            }}
            onPaneClick={() => actions.select(null)}
            onNodeContextMenu={(event, node) => {
              const target = targetOfNode(objects, node.id);
              if (!target) return;
              event.preventDefault();
              openDiagnostics(target);
            }}
            onNodeDragStop={onNodeDragStop}
            nodesDraggable={canEdit}
            nodesConnectable={canEdit}
            deleteKeyCode={null}
            onlyRenderVisibleElements
            defaultViewport={{ x: 40, y: 200, zoom: 0.8 }}
            minZoom={0.05}
            maxZoom={2}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls showInteractive={false} />
            <MiniMap pannable zoomable nodeColor={(n) => (n.type === 'host' ? '#dfe7f2' : '#7a8ca5')} />
          </ReactFlow>
        </div>
        <aside className={`side-panel ${tab === 'config' ? 'wide' : ''}`}>
          <nav className="tabs" role="tablist">
            <button role="tab" aria-selected={tab === 'properties'} onClick={() => setTab('properties')}>Properties</button>
            <button role="tab" aria-selected={tab === 'validation'} onClick={() => setTab('validation')} data-testid="tab-validation">
              Validation{findings.length > 0 && <span className={`count ${errorCount ? 'error' : 'warning'}`}>{findings.length}</span>}
            </button>
            <button role="tab" aria-selected={tab === 'config'} onClick={() => setTab('config')} data-testid="tab-config">Configuration</button>
          </nav>
          <div className="tab-body">
            {tab === 'properties' && <PropertyPanel />}
            {tab === 'validation' && <ValidationPanel onFocus={focusFinding} />}
            {tab === 'config' && <ConfigView />}
          </div>
        </aside>
      </div>
      <ConfirmDialog request={confirm.request} onClose={confirm.close} />
      <DiagnosticsPanel designId={designId} />
    </div>
  );
}

/** The designer for one design: palette, canvas, and the properties / validation / configuration panel. */
export function Designer({ designId }: { designId: number }) {
  return (
    <ReactFlowProvider>
      <Canvas designId={designId} />
    </ReactFlowProvider>
  );
}
