import { describe, expect, it } from 'vitest';
import { add, twoHosts } from '../test/fixtures';
import { badgesByNode } from '../model/findings';
import { comparedWith, designTarget, driftAsFindings, targetOfNode } from './targets';

describe('what a right-click diagnoses', () => {
  it('a host: its catalogue on that host', () => {
    const t = twoHosts();
    expect(targetOfNode(t.objects, `host:${t.hostA.id}`)).toEqual({ title: `Host ${t.hostA.name}`, hosts: [{ host: t.hostA.name }] });
  });

  it('a VXLAN segment: a capture, with each member host and its vxlan interface to pick from', () => {
    const t = twoHosts();
    add(t.objects, 'vxlanMember', { segment: t.segment, host: t.hostB, switch: t.vx, interface_name: 'vxlan111', underlay_interface: t.igb0 });
    add(t.objects, 'vxlanMember', { segment: t.segment, host: t.hostA, switch: t.services, interface_name: 'vxlan7', underlay_interface: t.em0 });
    const target = targetOfNode(t.objects, `vxlanSegment:${t.segment.id}`);
    expect(target?.diagnostic).toBe('capture');
    expect(target?.hosts).toEqual(
      [
        { host: t.hostA.name, interface: 'vxlan7' },
        { host: t.hostB.name, interface: 'vxlan111' },
      ].sort((a, b) => a.host.localeCompare(b.host)),
    );
  });

  it('a switch: a capture on its bridge, on its host', () => {
    const t = twoHosts();
    expect(targetOfNode(t.objects, `switch:${t.services.id}`)).toMatchObject({
      diagnostic: 'capture',
      hosts: [{ host: t.hostA.name, interface: t.services.name }],
    });
  });

  it('nothing for what is not diagnosed, and every host from the toolbar', () => {
    const t = twoHosts();
    expect(targetOfNode(t.objects, `jail:${t.vnetJail.id}`)).toBeNull();
    expect(targetOfNode(t.objects, 'nonsense')).toBeNull();
    expect(designTarget(t.objects).hosts.map((h) => h.host)).toEqual([t.hostA.name, t.hostB.name].sort());
  });

  it('drift findings badge the node of the object they are about', () => {
    const t = twoHosts();
    const findings = driftAsFindings([
      { code: 'switch-missing', severity: 'error', message: 'x', host: t.hostA.name, object: { kind: 'switch', path: 'p', id: t.services.id } },
    ]);
    expect(badgesByNode(t.objects, findings)[`switch:${t.services.id}`]).toEqual({ errors: 1, warnings: 0 });
  });

  it('a finding about an object of the deployed version the design no longer has: listed, no badge', () => {
    const t = twoHosts();
    const gone = 987654;
    const findings = driftAsFindings([
      { code: 'member-missing', severity: 'error', message: 'x', host: t.hostA.name, object: { kind: 'switch', path: 'p', id: gone } },
    ]);
    expect(findings).toHaveLength(1);
    expect(badgesByNode(t.objects, findings)).toEqual({});
  });

  it('says which version each host was compared with', () => {
    expect(comparedWith({ compared: { a: { label: 'revision 3' }, b: { label: 'revision 3' }, c: { label: 'the current design (never deployed by the app)' } } })).toEqual([
      'revision 3 (a, b)',
      'the current design (never deployed by the app) (c)',
    ]);
    expect(comparedWith({})).toEqual([]);
    expect(comparedWith(null)).toEqual([]);
  });
});
