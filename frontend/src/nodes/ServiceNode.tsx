import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { Badge } from '../model/findings';
import { NodeBadge } from './NodeBadge';

export type ServiceNodeData = { service: 'dhcpService' | 'nat' | 'redirect'; title: string; detail: string; badge?: Badge };
export type ServiceNode = Node<ServiceNodeData, 'service'>;

const TAGS = { dhcpService: 'DHCP', nat: 'NAT', redirect: 'rdr' } as const;

/** A network service of a host: DHCP (dnsmasq on a switch), outbound NAT or a port redirect. */
export const ServiceNodeView = memo(function ServiceNodeView({ data, selected }: NodeProps<ServiceNode>) {
  return (
    <div className={`small-node service-node ${data.service} ${selected ? 'selected' : ''}`} data-testid={`service-${data.service}-${data.title}`}>
      <span className="kind-tag">{TAGS[data.service]}</span>
      <strong>{data.title}</strong>
      <NodeBadge badge={data.badge} />
      <div className="detail">{data.detail}</div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});
