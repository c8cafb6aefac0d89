"""Storing a design snapshot in the database: the bulk upsert and delete behind a design import.

:class:`DesignSync` applies a snapshot top-down (designs, hosts, then what hosts hold), matching objects by
their natural keys so their ids survive, and deletes bottom-up what the snapshot no longer has. Every
value and reference comes from the kind declarations (``topology.kinds``). Audit entries are written
once everything is stored, in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.audit import audit_bulk, current_change_context, serialize_for_audit
from core.models import AuditAction
from core.planner import BULK_ROWS, planner_statistics_refresh

from .. import models as m
from .. import snapshot as s
from ..kinds import KINDS

# What an upsert is asked for: (natural key, field values, document path) per object.
Desired = list[tuple[Any, dict[str, Any], str]]


class DesignSync:
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
        # Kind name -> natural key -> stored object, filled top-down: what later kinds refer to by name.
        self.tables: dict[str, dict[Any, Any]] = {}

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
        values = KINDS["design"].db_values(snap)
        if self.design is None:
            self.design = m.Design(**values, owner=current_change_context().acting_user())
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
        self.sync_hosts(d)
        self.sync_interfaces(d)
        self.sync_static_routes(d)
        self.sync_switches(d)
        self.sync_jails(d)
        self.sync_vms(d)
        self.sync_services(d)
        self.sync_firewalls(d)
        self.sync_vxlan(d)
        self.check()
        self.audit()
        self.delete_stale()
        written = len(self.created) + len(self.updated) + sum(len(pks) for _, pks in self.stale)
        if written >= BULK_ROWS:  # a design's worth of rows: the planner's statistics describe the tables before
            planner_statistics_refresh(models_written=[kind.model for kind in KINDS.values()])

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

    # -- references -----------------------------------------------------------------------------------

    def ref_ids(self, kind: str, obj: Any, host: str, path: str) -> dict[str, int | None]:
        """The foreign key ids of ``obj``'s references (declared in ``topology.kinds``), looked up by name on
        ``host`` (hosts by name in the design); records an error for each name that does not exist.
        A kind's references to itself (a VLAN's parent) wait for a second pass, once every row exists."""
        declaration = KINDS[kind]
        out: dict[str, int | None] = {}
        for attr, ref in declaration.refs:
            if ref.target == kind:
                continue
            name = getattr(obj, attr)
            target = None
            if name is not None:
                if ref.target == "host":
                    target = self.tables["host"].get(name)
                    if target is None:
                        self.errors.setdefault(f"{path}.{attr}", []).append(f"no host '{name}' in the design")
                else:
                    what = str(KINDS[ref.target].model._meta.verbose_name)
                    target = self.ref(self.tables[ref.target], (host, name), f"{path}.{attr}", what)
            out[f"{declaration.ref_field(attr)}_id"] = target.pk if target is not None else None
        return out

    def row(self, kind: str, obj: Any, *, owner: dict[str, Any], host: str, path: str) -> dict[str, Any]:
        """Field values of one object to store: its owner, its own fields and its references by id."""
        return {**owner, **KINDS[kind].db_values(obj), **self.ref_ids(kind, obj, host, path)}

    # -- each kind, top-down --------------------------------------------------------------------------

    def sync_hosts(self, d: m.Design) -> None:
        existing = {h.name: h for h in m.Host.objects.filter(design=d)}
        desired: Desired = []
        for h in self.snap.hosts:
            path = f"hosts[{h.name}]"
            desired.append((h.name, self.row("host", h, owner={"design_id": d.pk}, host=h.name, path=path), path))
        self.tables["host"] = self.upsert(m.Host, existing, desired)

    def sync_interfaces(self, d: m.Design) -> None:
        hosts = self.tables["host"]
        existing = {(i.host.name, i.name): i for i in m.Interface.objects.filter(host__design=d).select_related("host")}
        desired: Desired = []
        for h in self.snap.hosts:
            for i in h.interfaces:
                path = f"hosts[{h.name}].interfaces[{i.name}]"
                values = self.row("interface", i, owner={"host_id": hosts[h.name].pk}, host=h.name, path=path)
                desired.append(((h.name, i.name), values, path))
        self.check()  # hosts exist before their interfaces refer to them
        result = self.tables["interface"] = self.upsert(m.Interface, existing, desired)
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

    def sync_static_routes(self, d: m.Design) -> None:
        hosts = self.tables["host"]
        existing = {
            (r.host.name, r.name): r for r in m.StaticRoute.objects.filter(host__design=d).select_related("host")
        }
        desired: Desired = []
        for h in self.snap.hosts:
            for r in h.static_routes:
                path = f"hosts[{h.name}].static_routes[{r.name}]"
                values = self.row("static-route", r, owner={"host_id": hosts[h.name].pk}, host=h.name, path=path)
                desired.append(((h.name, r.name), values, path))
        self.upsert(m.StaticRoute, existing, desired)

    def sync_switches(self, d: m.Design) -> None:
        hosts = self.tables["host"]
        existing = {(w.host.name, w.name): w for w in m.Switch.objects.filter(host__design=d).select_related("host")}
        desired: Desired = []
        for h in self.snap.hosts:
            for w in h.switches:
                path = f"hosts[{h.name}].switches[{w.name}]"
                values = self.row("switch", w, owner={"host_id": hosts[h.name].pk}, host=h.name, path=path)
                desired.append(((h.name, w.name), values, path))
        switches = self.tables["switch"] = self.upsert(m.Switch, existing, desired)
        self.check()
        existing_ports = {
            (p.switch.host.name, p.switch.name, p.interface.name): p
            for p in m.SwitchPort.objects.filter(switch__host__design=d).select_related("switch__host", "interface")
        }
        desired = []
        for h in self.snap.hosts:
            for w in h.switches:
                owner = {"switch_id": switches[(h.name, w.name)].pk}
                for p in w.ports:
                    path = f"hosts[{h.name}].switches[{w.name}].ports[{p.interface}]"
                    values = self.row("switch-port", p, owner=owner, host=h.name, path=path)
                    desired.append(((h.name, w.name, p.interface), values, path))
        self.check()
        self.upsert(m.SwitchPort, existing_ports, desired)

    def sync_jails(self, d: m.Design) -> None:
        hosts = self.tables["host"]
        existing = {(j.host.name, j.name): j for j in m.Jail.objects.filter(host__design=d).select_related("host")}
        desired: Desired = []
        for h in self.snap.hosts:
            for j in h.jails:
                path = f"hosts[{h.name}].jails[{j.name}]"
                values = self.row("jail", j, owner={"host_id": hosts[h.name].pk}, host=h.name, path=path)
                desired.append(((h.name, j.name), values, path))
        jails = self.tables["jail"] = self.upsert(m.Jail, existing, desired)
        self.check()
        existing_addr = {
            (a.jail.host.name, a.jail.name, a.index): a
            for a in m.JailAddress.objects.filter(jail__host__design=d).select_related("jail__host")
        }
        existing_nics = {
            (n.jail.host.name, n.jail.name, n.name): n
            for n in m.JailNic.objects.filter(jail__host__design=d).select_related("jail__host")
        }
        addresses: Desired = []
        nics: Desired = []
        for h in self.snap.hosts:
            for j in h.jails:
                jail_pk = jails[(h.name, j.name)].pk
                for index, a in enumerate(j.addresses):
                    path = f"hosts[{h.name}].jails[{j.name}].addresses[{index}]"
                    owner = {"jail_id": jail_pk, "index": index}
                    addresses.append(
                        (
                            (h.name, j.name, index),
                            self.row("jail-address", a, owner=owner, host=h.name, path=path),
                            path,
                        )
                    )
                for n in j.nics:
                    path = f"hosts[{h.name}].jails[{j.name}].nics[{n.name}]"
                    values = self.row("jail-nic", n, owner={"jail_id": jail_pk}, host=h.name, path=path)
                    nics.append(((h.name, j.name, n.name), values, path))
        self.check()
        self.upsert(m.JailAddress, existing_addr, addresses)
        self.upsert(m.JailNic, existing_nics, nics)

    def sync_vms(self, d: m.Design) -> None:
        hosts = self.tables["host"]
        existing = {
            (v.host.name, v.name): v for v in m.VirtualMachine.objects.filter(host__design=d).select_related("host")
        }
        desired: Desired = []
        for h in self.snap.hosts:
            for v in h.vms:
                path = f"hosts[{h.name}].vms[{v.name}]"
                values = self.row("vm", v, owner={"host_id": hosts[h.name].pk}, host=h.name, path=path)
                desired.append(((h.name, v.name), values, path))
        vms = self.tables["vm"] = self.upsert(m.VirtualMachine, existing, desired)
        self.check()
        existing_nics = {
            (n.vm.host.name, n.vm.name, n.index): n
            for n in m.VmNic.objects.filter(vm__host__design=d).select_related("vm__host")
        }
        nics: Desired = []
        for h in self.snap.hosts:
            for v in h.vms:
                for index, n in enumerate(v.nics):
                    path = f"hosts[{h.name}].vms[{v.name}].nics[{index}]"
                    owner = {"vm_id": vms[(h.name, v.name)].pk, "index": index}
                    nics.append(
                        ((h.name, v.name, index), self.row("vm-nic", n, owner=owner, host=h.name, path=path), path)
                    )
        self.check()
        self.upsert(m.VmNic, existing_nics, nics)

    def sync_services(self, d: m.Design) -> None:
        hosts = self.tables["host"]
        existing_dhcp = {
            (x.host.name, x.switch.name): x
            for x in m.DhcpService.objects.filter(host__design=d).select_related("host", "switch")
        }
        services: Desired = []
        for h in self.snap.hosts:
            for x in h.dhcp:
                path = f"hosts[{h.name}].dhcp[{x.switch}]"
                values = self.row("dhcp-service", x, owner={"host_id": hosts[h.name].pk}, host=h.name, path=path)
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
        leases: Desired = []
        for h in self.snap.hosts:
            for x in h.dhcp:
                owner = {"service_id": dhcp[(h.name, x.switch)].pk}
                for lease in x.static_leases:
                    path = f"hosts[{h.name}].dhcp[{x.switch}].static_leases[{lease.mac}]"
                    values = self.row("dhcp-lease", lease, owner=owner, host=h.name, path=path)
                    leases.append(((h.name, x.switch, lease.mac), values, path))
        self.upsert(m.DhcpStaticLease, existing_leases, leases)

        # NAT rules and redirects have no name: key them by content plus occurrence.
        existing_nat = _occurrence_keyed(
            m.OutboundNat.objects.filter(host__design=d).select_related("host").order_by("id"),
            lambda x: (x.host.name, x.interface, x.source),
        )
        nat: Desired = []
        for h in self.snap.hosts:
            seen: Counter[Any] = Counter()
            for rule in h.nat:
                base: tuple[Any, ...] = (h.name, rule.interface, rule.source or "")
                seen[base] += 1
                path = f"hosts[{h.name}].nat[{rule.interface} {rule.source or ''}]"
                values = self.row("nat", rule, owner={"host_id": hosts[h.name].pk}, host=h.name, path=path)
                nat.append(((*base, seen[base]), values, path))
        self.upsert(m.OutboundNat, existing_nat, nat)

        existing_rdr = _occurrence_keyed(
            m.PortRedirect.objects.filter(host__design=d).select_related("host").order_by("id"),
            lambda x: (x.host.name, x.interface, x.protocol, x.external_port),
        )
        rdr: Desired = []
        for h in self.snap.hosts:
            seen = Counter()
            for redirect in h.redirects:
                base = (h.name, redirect.interface, redirect.protocol, redirect.external_port)
                seen[base] += 1
                path = f"hosts[{h.name}].redirects[{redirect.interface} {redirect.protocol}/{redirect.external_port}]"
                values = self.row(
                    "port-redirect", redirect, owner={"host_id": hosts[h.name].pk}, host=h.name, path=path
                )
                rdr.append(((*base, seen[base]), values, path))
        self.check()
        self.upsert(m.PortRedirect, existing_rdr, rdr)

    def sync_firewalls(self, d: m.Design) -> None:
        hosts, jails = self.tables["host"], self.tables["jail"]
        existing: dict[Any, m.FirewallPolicy] = {}
        for p in m.FirewallPolicy.objects.filter(
            models.Q(host__design=d) | models.Q(jail__host__design=d)
        ).select_related("host", "jail__host"):
            existing[_policy_key(p)] = p
        desired: Desired = []
        rules_of: dict[Any, tuple[tuple[s.FirewallRule, ...], str, str]] = {}
        for h in self.snap.hosts:
            owners: list[tuple[Any, dict[str, Any], s.FirewallPolicy | None, str]] = [
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
                values = self.row("firewall-policy", fw, owner=owner, host=h.name, path=f"{path}.firewall")
                desired.append((key, values, f"{path}.firewall"))
                rules_of[key] = (fw.rules, f"{path}.firewall", h.name)
        policies = self.upsert(m.FirewallPolicy, existing, desired)
        self.check()
        existing_rules = {
            (_policy_key(stored.policy), stored.index): stored
            for stored in m.FirewallRule.objects.filter(
                policy__in=[p.pk for p in policies.values()] + [p.pk for p in existing.values()]
            ).select_related("policy__host", "policy__jail__host")
        }
        rules: Desired = []
        for key, (items, path, host) in rules_of.items():
            for index, rule in enumerate(items):
                owner = {"policy_id": policies[key].pk, "index": index}
                rule_path = f"{path}.rules[{index}]"
                rules.append(
                    ((key, index), self.row("firewall-rule", rule, owner=owner, host=host, path=rule_path), rule_path)
                )
        self.upsert(m.FirewallRule, existing_rules, rules)

    def sync_vxlan(self, d: m.Design) -> None:
        existing = {x.name: x for x in m.VxlanSegment.objects.filter(design=d)}
        desired: Desired = []
        for segment in self.snap.vxlan_segments:
            path = f"vxlan_segments[{segment.name}]"
            desired.append(
                (segment.name, self.row("vxlan-segment", segment, owner={"design_id": d.pk}, host="", path=path), path)
            )
        segments = self.upsert(m.VxlanSegment, existing, desired, host_of_key=lambda key: "")
        self.check()
        existing_members = {
            (stored.host.name, stored.interface_name): stored
            for stored in m.VxlanMember.objects.filter(segment__design=d).select_related("host")
        }
        members: Desired = []
        for seg in self.snap.vxlan_segments:
            for x in seg.members:
                path = f"vxlan_segments[{seg.name}].members[{x.host}:{x.interface_name}]"
                if x.host not in self.tables["host"]:
                    self.errors.setdefault(f"{path}.host", []).append(f"no host '{x.host}' in the design")
                    continue
                values = self.row(
                    "vxlan-member", x, owner={"segment_id": segments[seg.name].pk}, host=x.host, path=path
                )
                members.append(((x.host, x.interface_name), values, path))
        self.check()
        self.upsert(m.VxlanMember, existing_members, members)


def _policy_key(policy: m.FirewallPolicy) -> tuple[str, ...]:
    """The natural key of a stored firewall policy: ("host", host) or ("jail", host, jail)."""
    if policy.host is not None:
        return ("host", policy.host.name)
    assert policy.jail is not None  # a policy belongs to a host or a jail (a check constraint)
    return ("jail", policy.jail.host.name, policy.jail.name)


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
