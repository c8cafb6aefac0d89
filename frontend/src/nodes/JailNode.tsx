import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { Jail } from '../api/types';
import type { Badge } from '../model/findings';
import { NodeBadge } from './NodeBadge';

export type JailNodeData = { jail: Jail; addresses: string[]; badge?: Badge };
export type JailNode = Node<JailNodeData, 'jail'>;

/** A plain jail (addresses on host interfaces) or a VNET jail (NICs on switches). */
export const JailNodeView = memo(function JailNodeView({ data, selected }: NodeProps<JailNode>) {
  const { jail, addresses } = data;
  return (
    <div className={`canvas-node jail-node ${jail.type} ${selected ? 'selected' : ''}`} data-testid={`jail-${jail.name}`}>
      {jail.type === 'vnet' && <Handle type="source" position={Position.Top} />}
      <span className="kind-tag">{jail.type === 'vnet' ? 'VNET jail' : 'jail'}</span>
      <strong>{jail.name}</strong>
      <NodeBadge badge={data.badge} />
      <div className="detail">{addresses.join(', ') || jail.manager}</div>
    </div>
  );
});
