import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { VxlanSegment } from '../api/types';
import type { Badge } from '../model/findings';
import { NodeBadge } from './NodeBadge';

export type VxlanNodeData = { segment: VxlanSegment; badge?: Badge };
export type VxlanNode = Node<VxlanNodeData, 'vxlan'>;

/** A VXLAN segment stretched across hosts; each edge to a switch is one host's vxlan member. */
export const VxlanNodeView = memo(function VxlanNodeView({ data, selected }: NodeProps<VxlanNode>) {
  const { segment } = data;
  return (
    <div className={`canvas-node vxlan-node ${selected ? 'selected' : ''}`} data-testid={`vxlan-${segment.name}`}>
      <span className="kind-tag">VXLAN {segment.vni}</span>
      <strong>{segment.name}</strong>
      <NodeBadge badge={data.badge} />
      <div className="detail">
        {segment.subnet || 'no subnet'} · {segment.mode === 'unicast' ? 'unicast' : segment.multicast_group || 'multicast'}
      </div>
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
});
