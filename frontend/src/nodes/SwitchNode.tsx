import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { Switch } from '../api/types';
import type { Badge } from '../model/findings';
import { NodeBadge } from './NodeBadge';

export type SwitchNodeData = { sw: Switch; badge?: Badge };
export type SwitchNode = Node<SwitchNodeData, 'switch'>;

/** A bridge on a host: jails, VMs, interfaces and VXLAN members connect to it. */
export const SwitchNodeView = memo(function SwitchNodeView({ data, selected }: NodeProps<SwitchNode>) {
  const { sw } = data;
  return (
    <div className={`canvas-node switch-node ${selected ? 'selected' : ''}`} data-testid={`switch-${sw.name}`}>
      <Handle id="up" type="target" position={Position.Top} />
      <span className="kind-tag">{sw.kind === 'bridge' ? 'switch' : sw.kind}</span>
      <strong>{sw.name}</strong>
      <NodeBadge badge={data.badge} />
      <div className="detail">{sw.address || 'no address'}{sw.private ? ' · private' : ''}</div>
      <Handle id="down" type="source" position={Position.Bottom} />
    </div>
  );
});
