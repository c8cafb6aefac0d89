import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { Interface } from '../api/types';
import type { Badge } from '../model/findings';
import { NodeBadge } from './NodeBadge';

export type InterfaceNodeData = { iface: Interface; badge?: Badge };
export type InterfaceNode = Node<InterfaceNodeData, 'interface'>;

/** A physical, VLAN or loopback interface of a host; physical and VLAN ones can join a switch. */
export const InterfaceNodeView = memo(function InterfaceNodeView({ data, selected }: NodeProps<InterfaceNode>) {
  const { iface } = data;
  return (
    <div className={`small-node interface-node ${iface.kind} ${selected ? 'selected' : ''}`} data-testid={`interface-${iface.name}`}>
      <strong>{iface.name}</strong>
      <NodeBadge badge={data.badge} />
      <div className="detail">{iface.dhcp ? 'DHCP' : iface.address || iface.kind}</div>
      {iface.kind !== 'loopback' && <Handle type="source" position={Position.Bottom} />}
      {iface.kind !== 'loopback' && <Handle type="target" id="up" position={Position.Top} isConnectable={false} />}
    </div>
  );
});
