import type { EdgeTypes, NodeTypes } from '@xyflow/react';
import { HostNodeView, type HostNode } from './HostNode';
import { InterfaceNodeView, type InterfaceNode } from './InterfaceNode';
import { JailNodeView, type JailNode } from './JailNode';
import { ServiceNodeView, type ServiceNode } from './ServiceNode';
import { RoutedEdgeView } from './RoutedEdge';
import { SwitchNodeView, type SwitchNode } from './SwitchNode';
import { UnderlayNodeView, type UnderlayNode } from './UnderlayNode';
import { VmNodeView, type VmNode } from './VmNode';
import { VxlanNodeView, type VxlanNode } from './VxlanNode';

export const nodeTypes = {
  host: HostNodeView,
  interface: InterfaceNodeView,
  switch: SwitchNodeView,
  jail: JailNodeView,
  vm: VmNodeView,
  vxlan: VxlanNodeView,
  service: ServiceNodeView,
  underlay: UnderlayNodeView,
} satisfies NodeTypes;

export const edgeTypes = { routed: RoutedEdgeView } satisfies EdgeTypes;

export type DesignerNode = HostNode | InterfaceNode | SwitchNode | JailNode | VmNode | VxlanNode | ServiceNode | UnderlayNode;

export type { HostNode, InterfaceNode, JailNode, ServiceNode, SwitchNode, UnderlayNode, VmNode, VxlanNode };

