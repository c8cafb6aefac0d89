"""Design-level services: importing a design document (create or update in place) and deleting a design.

Import is idempotent: importing the same document twice changes nothing (not even ``version`` or
``last_updated``), and a modified document updates the existing objects in place — objects are
matched by their natural keys (host name, interface name on a host, jail name on a host, ...), so
their ids, and everything that refers to them, survive. What the document no longer has is deleted.
A document that cannot be stored (unknown keys, bad values, dangling references, duplicate names) is
refused as a whole: nothing is half-saved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from core.audit import audit_bulk, change_context, current_change_context, serialize_for_audit
from core.models import AuditAction, ChangeSource

from .. import models as m
from .. import snapshot as s
from ..design_io import DocumentError, canonical_snapshot, document_from_snapshot, load_document, snapshot_from_document
from ..selectors import design_snapshot


def design_import_document(*, document_text: str, user: Any = None) -> tuple[m.Design, bool]:
    """Import a YAML design document; return the design and whether anything changed."""
    try:
        snap = snapshot_from_document(load_document(document_text))
    except DocumentError as exc:
        raise ValidationError({"document": exc.errors}) from exc
    return design_import_snapshot(snapshot=snap, user=user)


def design_import_snapshot(*, snapshot: s.DesignSnapshot, user: Any = None) -> tuple[m.Design, bool]:
    """Create or update the design named in ``snapshot`` so that it equals the snapshot.

    The audit history records the changes as an ``import`` by ``user`` (default: the current change
    context's user).
    """
    outer = current_change_context()
    with change_context(source=ChangeSource.IMPORT, user=user or outer.acting_user(), request_id=outer.request_id):
        return _import_snapshot(snapshot)


@transaction.atomic
def _import_snapshot(snapshot: s.DesignSnapshot) -> tuple[m.Design, bool]:
    from ..validation import identity_findings

    identity = identity_findings(snapshot)
    if identity:
        raise ValidationError({"document": [f"{f.code}: {f.message}" for f in identity]})
    snapshot = canonical_snapshot(snapshot)
    design = m.Design.objects.select_for_update().filter(name=snapshot.name).first()
    if design is not None and document_from_snapshot(design_snapshot(design=design)) == document_from_snapshot(
        snapshot
    ):
        return design, False
    # Stored as in the document: a release equal to the inherited one is blank (inherited), not a copy.
    _DesignSync(s.unresolve_releases(snapshot), design).run()
    return m.Design.objects.get(name=snapshot.name), True


@transaction.atomic
def design_delete(*, design: m.Design, user: Any = None) -> None:
    """Delete a design and everything in it (references inside it are RESTRICT, so the cascade may take them)."""
    with change_context(source=current_change_context().source, user=user or current_change_context().acting_user()):
        design.delete()


def _blank(value: str | None) -> str:
    """Document ``None`` → database blank."""
    return value or ""


class _DesignSync:
    """Applies a snapshot to the database with bulk writes: upsert top-down, then delete bottom-up."""

    def __init__(self, snap: s.DesignSnapshot, design: m.Design | None):
        self.snap = snap
        self.design = design
        self.errors: dict[str, list[str]] = {}
        self.stale: list[tuple[type[models.Model], list[int]]] = []
        self.now = timezone.now()
        # Audit entries are written once everything is stored, so they show each object's final state.
        self.created: list[models.Model] = []
        self.created_ids: set[int] = set()
        self.host_of: dict[int, str] = {}  # id(instance) -> host name, for per-host history
        self.updated: dict[tuple[type[models.Model], int], tuple[models.Model, dict[str, Any]]] = {}

    def remember_before(self, obj: models.Model) -> None:
        """Keep the values of an existing object before its first change, for the audit entry."""
        self.updated.setdefault((type(obj), obj.pk), (obj, serialize_for_audit(obj)))

    def audit(self) -> None:
        by_model: dict[type[models.Model], list[models.Model]] = {}
        for obj in self.created:
            by_model.setdefault(type(obj), []).append(obj)
        for objs in by_model.values():
            audit_bulk(AuditAction.CREATE, objs, design=self.design, host_names=self.host_names(objs))
        updated = [obj for obj, _ in self.updated.values()]
        befores = {(type(obj), obj.pk): before for obj, before in self.updated.values()}
        for model in {type(obj) for obj in updated}:
            objs = [obj for obj in updated if type(obj) is model]
            audit_bulk(
                AuditAction.UPDATE,
                objs,
                befores={o.pk: befores[(model, o.pk)] for o in objs},
                design=self.design,
                host_names=self.host_names(objs),
            )

    def host_names(self, objs: list[models.Model]) -> dict[int, str]:
        return {o.pk: self.host_of.get(id(o), "") for o in objs}

    # -- generic upsert -------------------------------------------------------------------------------

    def upsert(
        self,
        model: type[models.Model],
        existing: dict[Any, Any],
        desired: Iterable[tuple[Any, dict[str, Any], str]],
        host_of_key: Callable[[Any], str] | None = None,
    ) -> dict[Any, Any]:
        """Make ``model``'s rows equal ``desired`` (key, field values, document path); return key → instance."""
        result: dict[Any, Any] = {}
        to_create: list[Any] = []
        to_update: list[Any] = []
        touched: list[tuple[Any, str]] = []
        changed_fields: set[str] = set()
        for key, values, path in desired:
            obj = existing.get(key)
            if obj is None:
                obj = model(**values)
                to_create.append(obj)
                self.created.append(obj)
                self.created_ids.add(id(obj))
                touched.append((obj, path))
            else:
                changed = [f for f, v in values.items() if getattr(obj, f) != v]
                if changed:
                    self.remember_before(obj)
                    for f in changed:
                        setattr(obj, f, values[f])
                    obj.version += 1
                    obj.last_updated = self.now
                    changed_fields.update(changed)
                    to_update.append(obj)
                    touched.append((obj, path))
            result[key] = obj
            self.host_of[id(obj)] = (host_of_key or _host_of_key)(key)
        exclude = [f.name for f in model._meta.fields if f.is_relation] + ["version"]
        for obj, path in touched:
            try:
                obj.clean_fields(exclude=exclude)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.errors.setdefault(f"{path}.{field}", []).extend(messages)
        if not self.errors:
            model._default_manager.bulk_create(to_create, batch_size=2000)
            if to_update:
                model._default_manager.bulk_update(
                    to_update, sorted(changed_fields | {"version", "last_updated"}), batch_size=2000
                )
        self.stale.append((model, [o.pk for k, o in existing.items() if k not in result]))
        return result

    def ref(self, table: dict[Any, Any], key: Any, path: str, what: str) -> Any:
        """Look up a referenced object; record a readable error if it does not exist."""
        obj = table.get(key)
        if obj is None:
            self.errors.setdefault(path, []).append(f"no {what} '{key[-1]}' on host '{key[0]}'")
        return obj

    def check(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    # -- the design -----------------------------------------------------------------------------------

    def run(self) -> None:
        snap = self.snap
        values = {
            "description": snap.description,
            "underlay_mtu": snap.underlay_mtu,
            "default_release": snap.default_release,
        }
        if self.design is None:
            self.design = m.Design(name=snap.name, **values)
            self.design.full_clean()
            self.design.save()
        else:
            changed = {k: v for k, v in values.items() if getattr(self.design, k) != v}
            if changed:
                for k, v in changed.items():
                    setattr(self.design, k, v)
                self.design.version += 1
                self.design.full_clean()
                self.design.save()
        d = self.design
        hosts = self.sync_hosts(d)
        interfaces = self.sync_interfaces(d, hosts)
        switches = self.sync_switches(d, hosts, interfaces)
        jails = self.sync_jails(d, hosts, switches)
        vms = self.sync_vms(d, hosts, switches)
        self.sync_services(d, hosts, switches, jails, vms)
        self.sync_firewalls(d, hosts, jails)
        self.sync_vxlan(d, hosts, interfaces, switches)
        self.check()
        self.audit()
        self.delete_stale()

    def delete_stale(self) -> None:
        # Children before parents: RESTRICT references (NIC → switch, member → interface) never trip.
        order = [
            m.FirewallRule, m.FirewallPolicy, m.DhcpStaticLease, m.DhcpService, m.PortRedirect, m.OutboundNat,
            m.VmNic, m.VirtualMachine, m.JailNic, m.JailAddress, m.Jail, m.VxlanMember, m.VxlanSegment,
            m.SwitchPort, m.Switch, m.StaticRoute, m.Interface, m.Host,
        ]  # fmt: skip
        stale: dict[type[models.Model], list[int]] = {}
        for model, pks in self.stale:
            stale.setdefault(model, []).extend(pks)
        for model in order:
            pks = stale.get(model, [])
            if not pks:
                continue
            if model is m.Interface:
                # VLANs before their parents: a parent is RESTRICTed by its VLANs until they are gone.
                m.Interface.objects.filter(pk__in=pks, parent__isnull=False).delete()
            model._default_manager.filter(pk__in=pks).delete()

    def sync_hosts(self, d: m.Design) -> dict[str, m.Host]:
        existing = {h.name: h for h in m.Host.objects.filter(design=d)}
        desired = []
        for h in self.snap.hosts:
            values = {
                "design_id": d.pk, "name": h.name, "role": h.role, "release": h.release,
                "has_iocage": "iocage" in h.tools, "has_pot": "pot" in h.tools,
                "has_vm_bhyve": "vm-bhyve" in h.tools, "has_dnsmasq": "dnsmasq" in h.tools,
                "default_router": _blank(h.default_router), "gateway_enable": h.gateway_enable,
                "zfs_pool": h.zfs_pool, "vm_dir": h.vm_dir,
            }  # fmt: skip
            desired.append((h.name, values, f"hosts[{h.name}]"))
        return self.upsert(m.Host, existing, desired)

    def sync_interfaces(self, d: m.Design, hosts: dict[str, m.Host]) -> dict[tuple[str, str], m.Interface]:
        existing = {(i.host.name, i.name): i for i in m.Interface.objects.filter(host__design=d).select_related("host")}
        desired = []
        for h in self.snap.hosts:
            for i in h.interfaces:
                values = {
                    "host_id": hosts[h.name].pk, "name": i.name, "kind": i.kind, "address": _blank(i.address),
                    "dhcp": i.dhcp, "mtu": i.mtu, "vlan_tag": i.vlan_tag, "description": i.description,
                }  # fmt: skip
                desired.append(((h.name, i.name), values, f"hosts[{h.name}].interfaces[{i.name}]"))
        self.check()  # hosts exist before their interfaces refer to them
        result = self.upsert(m.Interface, existing, desired)
        self.check()
        # VLAN parents refer to interfaces of the same host: a second pass once all rows exist.
        relink = []
        for h in self.snap.hosts:
            for i in h.interfaces:
                obj = result[(h.name, i.name)]
                parent = None
                if i.parent:
                    path = f"hosts[{h.name}].interfaces[{i.name}].parent"
                    parent = self.ref(result, (h.name, i.parent), path, "interface")
                if obj.parent_id != (parent.pk if parent else None):
                    if id(obj) not in self.created_ids:
                        self.remember_before(obj)
                    obj.parent = parent
                    relink.append(obj)
        self.check()
        m.Interface.objects.bulk_update(relink, ["parent"], batch_size=2000)
        self.sync_static_routes(d, hosts)
        return result

    def sync_static_routes(self, d: m.Design, hosts: dict[str, m.Host]) -> None:
        existing = {
            (r.host.name, r.name): r for r in m.StaticRoute.objects.filter(host__design=d).select_related("host")
        }
        desired = []
        for h in self.snap.hosts:
            for r in h.static_routes:
                values = {
                    "host_id": hosts[h.name].pk, "name": r.name, "destination": r.destination,
                    "gateway": _blank(r.gateway), "interface": _blank(r.interface),
                }  # fmt: skip
                desired.append(((h.name, r.name), values, f"hosts[{h.name}].static_routes[{r.name}]"))
        self.upsert(m.StaticRoute, existing, desired)

    def sync_switches(self, d, hosts, interfaces):  # type: ignore[no-untyped-def]
        existing = {(w.host.name, w.name): w for w in m.Switch.objects.filter(host__design=d).select_related("host")}
        desired = []
        for h in self.snap.hosts:
            for w in h.switches:
                values = {
                    "host_id": hosts[h.name].pk, "name": w.name, "kind": w.kind, "address": _blank(w.address),
                    "mtu": w.mtu, "private": w.private,
                }  # fmt: skip
                desired.append(((h.name, w.name), values, f"hosts[{h.name}].switches[{w.name}]"))
        switches = self.upsert(m.Switch, existing, desired)
        self.check()
        existing_ports = {
            (p.switch.host.name, p.switch.name, p.interface.name): p
            for p in m.SwitchPort.objects.filter(switch__host__design=d).select_related("switch__host", "interface")
        }
        desired = []
        for h in self.snap.hosts:
            for w in h.switches:
                for p in w.ports:
                    path = f"hosts[{h.name}].switches[{w.name}].ports[{p.interface}]"
                    iface = self.ref(interfaces, (h.name, p.interface), path, "interface")
                    if iface is not None:
                        values = {
                            "switch_id": switches[(h.name, w.name)].pk,
                            "interface_id": iface.pk,
                            "private": p.private,
                        }
                        desired.append(((h.name, w.name, p.interface), values, path))
        self.upsert(m.SwitchPort, existing_ports, desired)
        return switches

    def sync_jails(self, d, hosts, switches):  # type: ignore[no-untyped-def]
        existing = {(j.host.name, j.name): j for j in m.Jail.objects.filter(host__design=d).select_related("host")}
        desired = []
        for h in self.snap.hosts:
            for j in h.jails:
                values = {
                    "host_id": hosts[h.name].pk, "name": j.name, "type": j.type, "manager": j.manager,
                    "release": j.release, "boot": j.boot, "inherit": j.inherit,
                    "default_router": _blank(j.default_router), "allow_raw_sockets": j.allow_raw_sockets,
                    "devfs_ruleset": j.devfs_ruleset,
                }  # fmt: skip
                desired.append(((h.name, j.name), values, f"hosts[{h.name}].jails[{j.name}]"))
        jails = self.upsert(m.Jail, existing, desired)
        self.check()
        existing_addr = {
            (a.jail.host.name, a.jail.name, a.index): a
            for a in m.JailAddress.objects.filter(jail__host__design=d).select_related("jail__host")
        }
        existing_nics = {
            (n.jail.host.name, n.jail.name, n.name): n
            for n in m.JailNic.objects.filter(jail__host__design=d).select_related("jail__host")
        }
        addresses, nics = [], []
        for h in self.snap.hosts:
            for j in h.jails:
                jail_pk = jails[(h.name, j.name)].pk
                for index, a in enumerate(j.addresses):
                    values = {
                        "jail_id": jail_pk,
                        "index": index,
                        "interface_name": _blank(a.interface),
                        "address": a.address,
                    }
                    addresses.append(
                        ((h.name, j.name, index), values, f"hosts[{h.name}].jails[{j.name}].addresses[{index}]")
                    )
                for n in j.nics:
                    path = f"hosts[{h.name}].jails[{j.name}].nics[{n.name}]"
                    switch = self.ref(switches, (h.name, n.switch), f"{path}.switch", "switch")
                    values = {
                        "jail_id": jail_pk, "name": n.name, "switch_id": switch.pk if switch else None,
                        "address": _blank(n.address), "dhcp": n.dhcp, "mac": _blank(n.mac), "mtu": n.mtu,
                        "private": n.private,
                    }  # fmt: skip
                    nics.append(((h.name, j.name, n.name), values, path))
        self.check()
        self.upsert(m.JailAddress, existing_addr, addresses)
        self.upsert(m.JailNic, existing_nics, nics)
        return jails

    def sync_vms(self, d, hosts, switches):  # type: ignore[no-untyped-def]
        existing = {
            (v.host.name, v.name): v for v in m.VirtualMachine.objects.filter(host__design=d).select_related("host")
        }
        desired = []
        for h in self.snap.hosts:
            for v in h.vms:
                values = {
                    "host_id": hosts[h.name].pk, "name": v.name, "guest": v.guest, "cpu": v.cpu, "memory": v.memory,
                    "disk_size": v.disk_size, "iso": _blank(v.iso), "boot": v.boot,
                    "default_router": _blank(v.default_router),
                }  # fmt: skip
                desired.append(((h.name, v.name), values, f"hosts[{h.name}].vms[{v.name}]"))
        vms = self.upsert(m.VirtualMachine, existing, desired)
        self.check()
        existing_nics = {
            (n.vm.host.name, n.vm.name, n.index): n
            for n in m.VmNic.objects.filter(vm__host__design=d).select_related("vm__host")
        }
        nics = []
        for h in self.snap.hosts:
            for v in h.vms:
                for index, n in enumerate(v.nics):
                    path = f"hosts[{h.name}].vms[{v.name}].nics[{index}]"
                    switch = self.ref(switches, (h.name, n.switch), f"{path}.switch", "switch")
                    values = {
                        "vm_id": vms[(h.name, v.name)].pk, "index": index, "switch_id": switch.pk if switch else None,
                        "address": _blank(n.address), "dhcp": n.dhcp, "mac": _blank(n.mac), "mtu": n.mtu,
                        "private": n.private,
                    }  # fmt: skip
                    nics.append(((h.name, v.name, index), values, path))
        self.check()
        self.upsert(m.VmNic, existing_nics, nics)
        return vms

    def sync_services(self, d, hosts, switches, jails, vms):  # type: ignore[no-untyped-def]
        existing_dhcp = {
            (x.host.name, x.switch.name): x
            for x in m.DhcpService.objects.filter(host__design=d).select_related("host", "switch")
        }
        services = []
        for h in self.snap.hosts:
            for x in h.dhcp:
                path = f"hosts[{h.name}].dhcp[{x.switch}]"
                switch = self.ref(switches, (h.name, x.switch), f"{path}.switch", "switch")
                values = {
                    "host_id": hosts[h.name].pk, "switch_id": switch.pk if switch else None,
                    "range_start": x.range_start, "range_end": x.range_end, "lease_time": x.lease_time,
                }  # fmt: skip
                services.append(((h.name, x.switch), values, path))
        self.check()
        dhcp = self.upsert(m.DhcpService, existing_dhcp, services)
        self.check()
        existing_leases = {
            (x.service.host.name, x.service.switch.name, x.mac): x
            for x in m.DhcpStaticLease.objects.filter(service__host__design=d).select_related(
                "service__host", "service__switch"
            )
        }
        leases = []
        for h in self.snap.hosts:
            for x in h.dhcp:
                for lease in x.static_leases:
                    values = {
                        "service_id": dhcp[(h.name, x.switch)].pk, "mac": lease.mac, "address": lease.address,
                        "hostname": _blank(lease.hostname),
                    }  # fmt: skip
                    path = f"hosts[{h.name}].dhcp[{x.switch}].static_leases[{lease.mac}]"
                    leases.append(((h.name, x.switch, lease.mac), values, path))
        self.upsert(m.DhcpStaticLease, existing_leases, leases)

        # NAT rules and redirects have no name: key them by content plus occurrence.
        existing_nat = _occurrence_keyed(
            m.OutboundNat.objects.filter(host__design=d).select_related("host").order_by("id"),
            lambda x: (x.host.name, x.interface, x.source),
        )
        nat = []
        for h in self.snap.hosts:
            seen: Counter[Any] = Counter()
            for x in h.nat:
                base = (h.name, x.interface, _blank(x.source))
                seen[base] += 1
                values = {
                    "host_id": hosts[h.name].pk,
                    "interface": x.interface,
                    "source": _blank(x.source),
                    "engine": x.engine,
                }
                nat.append(((*base, seen[base]), values, f"hosts[{h.name}].nat[{x.interface} {x.source or ''}]"))
        self.upsert(m.OutboundNat, existing_nat, nat)

        existing_rdr = _occurrence_keyed(
            m.PortRedirect.objects.filter(host__design=d).select_related("host").order_by("id"),
            lambda x: (x.host.name, x.interface, x.protocol, x.external_port),
        )
        rdr = []
        for h in self.snap.hosts:
            seen = Counter()
            for x in h.redirects:
                base = (h.name, x.interface, x.protocol, x.external_port)
                seen[base] += 1
                path = f"hosts[{h.name}].redirects[{x.interface} {x.protocol}/{x.external_port}]"
                jail = (
                    self.ref(jails, (h.name, x.target_jail), f"{path}.target_jail", "jail") if x.target_jail else None
                )
                vm = self.ref(vms, (h.name, x.target_vm), f"{path}.target_vm", "VM") if x.target_vm else None
                values = {
                    "host_id": hosts[h.name].pk, "interface": x.interface, "protocol": x.protocol,
                    "external_port": x.external_port, "target_port": x.target_port,
                    "target_jail_id": jail.pk if jail else None, "target_vm_id": vm.pk if vm else None,
                    "target_address": _blank(x.target_address),
                }  # fmt: skip
                rdr.append(((*base, seen[base]), values, path))
        self.check()
        self.upsert(m.PortRedirect, existing_rdr, rdr)

    def sync_firewalls(self, d, hosts, jails):  # type: ignore[no-untyped-def]
        existing = {}
        for p in m.FirewallPolicy.objects.filter(
            models.Q(host__design=d) | models.Q(jail__host__design=d)
        ).select_related("host", "jail__host"):
            existing[("host", p.host.name) if p.host_id else ("jail", p.jail.host.name, p.jail.name)] = p
        desired, rules_of = [], {}
        for h in self.snap.hosts:
            owners = [
                (("host", h.name), {"host_id": hosts[h.name].pk, "jail_id": None}, h.firewall, f"hosts[{h.name}]")
            ]
            owners += [
                (("jail", h.name, j.name), {"host_id": None, "jail_id": jails[(h.name, j.name)].pk}, j.firewall,
                 f"hosts[{h.name}].jails[{j.name}]")
                for j in h.jails
            ]  # fmt: skip
            for key, owner, fw, path in owners:
                if fw is None:
                    continue
                values = {
                    **owner, "engine": fw.engine, "default_block": fw.default_block,
                    "skip_loopback": fw.skip_loopback, "antispoof": fw.antispoof, "ipfw_type": fw.ipfw_type,
                }  # fmt: skip
                desired.append((key, values, f"{path}.firewall"))
                rules_of[key] = (fw.rules, f"{path}.firewall")
        policies = self.upsert(m.FirewallPolicy, existing, desired)
        self.check()
        existing_rules = {}
        for r in m.FirewallRule.objects.filter(
            policy__in=[p.pk for p in policies.values()] + [p.pk for p in existing.values()]
        ).select_related("policy__host", "policy__jail__host"):
            p = r.policy
            key = ("host", p.host.name) if p.host_id else ("jail", p.jail.host.name, p.jail.name)
            existing_rules[(key, r.index)] = r
        rules = []
        for key, (items, path) in rules_of.items():
            for index, r in enumerate(items):
                values = {
                    "policy_id": policies[key].pk, "index": index, "action": r.action, "direction": r.direction,
                    "quick": r.quick, "interface": _blank(r.interface), "protocol": r.protocol,
                    "source": _blank(r.source), "destination": _blank(r.destination), "port": r.port,
                    "comment": r.comment,
                }  # fmt: skip
                rules.append(((key, index), values, f"{path}.rules[{index}]"))
        self.upsert(m.FirewallRule, existing_rules, rules)

    def sync_vxlan(self, d, hosts, interfaces, switches):  # type: ignore[no-untyped-def]
        existing = {x.name: x for x in m.VxlanSegment.objects.filter(design=d)}
        desired = []
        for x in self.snap.vxlan_segments:
            values = {
                "design_id": d.pk, "name": x.name, "vni": x.vni, "subnet": _blank(x.subnet), "mtu": x.mtu,
                "mode": x.mode, "multicast_group": _blank(x.multicast_group), "udp_port": x.udp_port,
            }  # fmt: skip
            desired.append((x.name, values, f"vxlan_segments[{x.name}]"))
        segments = self.upsert(m.VxlanSegment, existing, desired, host_of_key=lambda key: "")
        self.check()
        existing_members = {
            (x.host.name, x.interface_name): x
            for x in m.VxlanMember.objects.filter(segment__design=d).select_related("host")
        }
        members = []
        for seg in self.snap.vxlan_segments:
            for x in seg.members:
                path = f"vxlan_segments[{seg.name}].members[{x.host}:{x.interface_name}]"
                host = hosts.get(x.host)
                if host is None:
                    self.errors.setdefault(f"{path}.host", []).append(f"no host '{x.host}' in the design")
                    continue
                underlay = self.ref(
                    interfaces, (x.host, x.underlay_interface), f"{path}.underlay_interface", "interface"
                )
                switch = self.ref(switches, (x.host, x.switch), f"{path}.switch", "switch") if x.switch else None
                values = {
                    "segment_id": segments[seg.name].pk, "host_id": host.pk, "interface_name": x.interface_name,
                    "underlay_interface_id": underlay.pk if underlay else None,
                    "local_address": _blank(x.local_address), "remote_address": _blank(x.remote_address),
                    "address": _blank(x.address), "switch_id": switch.pk if switch else None, "private": x.private,
                    "group_route": x.group_route,
                }  # fmt: skip
                members.append(((x.host, x.interface_name), values, path))
        self.check()
        self.upsert(m.VxlanMember, existing_members, members)


def _host_of_key(key: Any) -> str:
    """The host name inside a natural key: hosts are keyed by name, host objects by (host, ...), firewall
    policies by ("host", host) / ("jail", host, jail), their rules by (policy key, index)."""
    if isinstance(key, str):
        return key
    first = key[0]
    if first in ("host", "jail"):
        return key[1]
    if isinstance(first, tuple):
        return first[1]
    return first if isinstance(first, str) else ""


def _occurrence_keyed(rows: Iterable[Any], base_key: Any) -> dict[Any, Any]:
    """Key unnamed rows by their content plus a running occurrence number (1, 2, ...)."""
    seen: Counter[Any] = Counter()
    out = {}
    for row in rows:
        base = base_key(row)
        seen[base] += 1
        out[(*base, seen[base])] = row
    return out


__all__ = ["design_delete", "design_import_document", "design_import_snapshot"]
