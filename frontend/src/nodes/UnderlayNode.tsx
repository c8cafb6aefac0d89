import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { Underlay } from '../model/underlay';

export type UnderlayNodeData = { underlay: Underlay };
export type UnderlayNode = Node<UnderlayNodeData, 'underlay'>;

/** A network between hosts (a shared LAN, the internet uplink): derived from the interfaces, not stored. */
export const UnderlayNodeView = memo(function UnderlayNodeView({ data }: NodeProps<UnderlayNode>) {
  const { underlay } = data;
  return (
    <div className={`canvas-node underlay-node ${underlay.kind}`} data-testid={underlay.id} title="Derived from the interfaces' addresses (and the default router, NAT)">
      <span className="kind-tag">{underlay.kind === 'uplink' ? 'uplink' : 'network'}</span>
      <strong>{underlay.title}</strong>
      <div className="detail">{underlay.detail}</div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});
