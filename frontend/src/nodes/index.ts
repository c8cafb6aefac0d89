import type { NodeTypes } from '@xyflow/react';
import { HostNodeView, type HostNode } from './HostNode';
import { InterfaceNodeView, type InterfaceNode } from './InterfaceNode';
import { JailNodeView, type JailNode } from './JailNode';
import { ServiceNodeView, type ServiceNode } from './ServiceNode';
import { SwitchNodeView, type SwitchNode } from './SwitchNode';
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
} satisfies NodeTypes;

export type DesignerNode = HostNode | InterfaceNode | SwitchNode | JailNode | VmNode | VxlanNode | ServiceNode;

export type { HostNode, InterfaceNode, JailNode, ServiceNode, SwitchNode, VmNode, VxlanNode };

