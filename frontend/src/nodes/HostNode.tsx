import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { Host } from '../api/types';
import type { Badge } from '../model/findings';
import { NodeBadge } from './NodeBadge';
import { useDesignStore } from '../store/designStore';

export type HostNodeData = {
  host: Host;
  collapsed: boolean;
  /** What the host holds, shown when it is collapsed. */
  counts: { switches: number; jails: number; vms: number };
  badge?: Badge;
};
export type HostNode = Node<HostNodeData, 'host'>;

/** A jailhost or gateway: a group holding its interfaces, switches, jails and VMs (or one compact node). */
export const HostNodeView = memo(function HostNodeView({ data, selected }: NodeProps<HostNode>) {
  const toggleCollapsed = useDesignStore((s) => s.toggleCollapsed);
  const { host, collapsed, counts } = data;
  return (
    <div className={`host-node ${collapsed ? 'collapsed' : ''} ${selected ? 'selected' : ''}`} data-testid={`host-${host.name}`}>
      <div className="host-header">
        <span className="kind-tag">{host.role === 'gateway' ? 'gateway' : 'jailhost'}</span>
        <strong>{host.name}</strong>
        <NodeBadge badge={data.badge} />
        <button
          className="collapse-toggle nodrag"
          title={collapsed ? 'Expand host' : 'Collapse host'}
          onClick={(e) => {
            e.stopPropagation();
            toggleCollapsed(host.id);
          }}
        >
          {collapsed ? '▸' : '▾'}
        </button>
      </div>
      {collapsed && (
        <div className="host-summary">
          {counts.switches} switches · {counts.jails} jails · {counts.vms} VMs
        </div>
      )}
      {collapsed && <Handle type="source" position={Position.Top} />}
    </div>
  );
});
