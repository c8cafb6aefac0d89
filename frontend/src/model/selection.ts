/** Where a selected object lives on the canvas and which host it belongs to. */
import { fkId, type Kind, type Objects } from './kinds';

export interface Ref {
  kind: Kind;
  id: number;
}

/** The node or edge id that shows the object (edges for NICs, ports and VXLAN members). */
export function canvasIdOf(ref: Ref): string {
  return `${ref.kind}:${ref.id}`;
}

/** The host an object belongs to (null for design-level objects such as VXLAN segments). */
export function hostIdOf(objects: Objects, ref: Ref | null): number | null {
  if (!ref) return null;
  switch (ref.kind) {
    case 'host':
      return objects.host[ref.id] ? ref.id : null;
    case 'interface':
    case 'switch':
    case 'jail':
    case 'vm':
    case 'nat':
    case 'redirect':
    case 'dhcpService': {
      const obj = objects[ref.kind][ref.id];
      return obj ? fkId(obj.host) : null;
    }
    case 'jailNic':
    case 'jailAddress': {
      const obj = objects[ref.kind][ref.id];
      return obj ? hostIdOf(objects, { kind: 'jail', id: obj.jail.id }) : null;
    }
    case 'vmNic': {
      const obj = objects.vmNic[ref.id];
      return obj ? hostIdOf(objects, { kind: 'vm', id: obj.vm.id }) : null;
    }
    case 'switchPort': {
      const obj = objects.switchPort[ref.id];
      return obj ? hostIdOf(objects, { kind: 'switch', id: obj.switch.id }) : null;
    }
    case 'vxlanMember': {
      const obj = objects.vxlanMember[ref.id];
      return obj ? fkId(obj.host) : null;
    }
    case 'dhcpLease': {
      const obj = objects.dhcpLease[ref.id];
      return obj ? hostIdOf(objects, { kind: 'dhcpService', id: obj.service.id }) : null;
    }
    case 'vxlanSegment':
      return null;
  }
}

/** The switch a selection points at, for adding DHCP: the switch itself or the one a NIC or service is on. */
export function switchIdOf(objects: Objects, ref: Ref | null): number | null {
  if (!ref) return null;
  if (ref.kind === 'switch') return objects.switch[ref.id] ? ref.id : null;
  if (ref.kind === 'jailNic' || ref.kind === 'vmNic' || ref.kind === 'dhcpService') {
    const obj = objects[ref.kind][ref.id];
    return obj ? fkId(obj.switch) : null;
  }
  return null;
}
