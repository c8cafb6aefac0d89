import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { VirtualMachine } from '../api/types';
import type { Badge } from '../model/findings';
import { NodeBadge } from './NodeBadge';

export type VmNodeData = { vm: VirtualMachine; addresses: string[]; badge?: Badge };
export type VmNode = Node<VmNodeData, 'vm'>;

/** A bhyve guest managed by vm-bhyve; its NICs are taps on switches. */
export const VmNodeView = memo(function VmNodeView({ data, selected }: NodeProps<VmNode>) {
  const { vm, addresses } = data;
  return (
    <div className={`canvas-node vm-node ${selected ? 'selected' : ''}`} data-testid={`vm-${vm.name}`}>
      <Handle type="source" position={Position.Top} />
      <span className="kind-tag">VM</span>
      <strong>{vm.name}</strong>
      <NodeBadge badge={data.badge} />
      <div className="detail">{addresses.join(', ') || `${vm.cpu ?? 1} CPU · ${vm.memory ?? '512M'}`}</div>
    </div>
  );
});
