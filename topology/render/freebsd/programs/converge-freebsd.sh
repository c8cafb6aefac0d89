# jailnet: converging steps for a FreeBSD jailhost (ifconfig, route, pf, ipfw, vm-bhyve, iocage, pot, jail).
# Sourced by a host's apply program after converge-common.sh and the managed files (rc.conf.local, pf.conf ...).
# Each step looks at the live state and acts only when it differs; an action prints "@@changed <what>" and
# appends the command that reverses it to the undo journal; every command that changes the host goes through
# "run" (skipped in a plan). Each object a step makes exist is claimed, and "drop_<step>" removes it again when
# a later bundle no longer has it. The output formats read here are FreeBSD's, checked against its sources:
# docs/deploy.md, "FreeBSD facts used by the apply program". POSIX sh; shellcheck -s sh and dash -n.

has_interface() {
    ifconfig "$1" >/dev/null 2>&1
}

# has_address IF ADDRESS: ifconfig IF inet prints "\tinet ADDRESS netmask ..." per address (af_inet.c in_status).
has_address() {
    ifconfig "$1" inet 2>/dev/null | grep -qF "inet $2 "
}

# is_member BRIDGE IF: ifconfig BRIDGE prints "\tmember: IF flags=..." per member (ifbridge.c bridge_status).
is_member() {
    ifconfig "$1" 2>/dev/null | grep -qF "member: $2 "
}

sysctl_ensure() {
    old=$(sysctl -n "$1" 2>/dev/null) || return 0
    [ "$old" = "$2" ] && return 0
    run sysctl "$1=$2" >/dev/null
    changed "sysctl $1 $old -> $2"
    undo sysctl "$1=$old"
}

# clone_ensure RCNAME FINAL ARGS...: a cloned interface (cloned_interfaces) named FINAL exists. It is created
# with a unit the kernel picks (bridge0 may already be someone else's) and renamed, as rc(8) names it:
# "ifconfig bridge create" prints the name the kernel gave (ifclone.c ifclonecreate: printed only when it
# differs from the name asked for, which "bridge" always does); "ifconfig X name Y" prints Y (discarded).
clone_ensure() {
    claim 2 clone_ensure "$@"
    rcname=$1
    final=$2
    shift 2
    has_interface "$final" && return 0
    kind=$(printf '%s' "$rcname" | sed 's/[0-9]*$//')
    created=$(run ifconfig "$kind" create "$@")
    if [ -n "$created" ] && [ "$created" != "$final" ]; then
        run ifconfig "$created" name "$final" >/dev/null
    fi
    changed "interface $final created"
    undo ifconfig "$final" destroy
    mine
}

drop_clone_ensure() {
    has_interface "$2" || return 1
    run ifconfig "$2" destroy || return 2
    changed "interface $2 destroyed"
}

# vlan_ensure PARENT TAG: the VLAN interface PARENT.TAG (vlans_PARENT) exists. Created under its own name,
# so ifconfig prints nothing.
vlan_ensure() {
    claim 2 vlan_ensure "$@"
    has_interface "$1.$2" && return 0
    run ifconfig "$1.$2" create vlan "$2" vlandev "$1"
    changed "VLAN interface $1.$2 created"
    undo ifconfig "$1.$2" destroy
    mine
}

drop_vlan_ensure() {
    has_interface "$1.$2" || return 1
    run ifconfig "$1.$2" destroy || return 2
    changed "VLAN interface $1.$2 destroyed"
}

# addr_ensure IF ADDRESS PREFIXLEN: an IPv4 address on IF (added as an alias: other addresses stay).
addr_ensure() {
    claim 2 addr_ensure "$@"
    has_address "$1" "$2" && return 0
    run ifconfig "$1" inet "$2/$3" alias
    changed "address $2/$3 on $1"
    undo ifconfig "$1" inet "$2" -alias
    mine
}

drop_addr_ensure() {
    has_address "$1" "$2" || return 1
    run ifconfig "$1" inet "$2" -alias || return 2
    changed "address $2 removed from $1"
}

# mtu_ensure IF MTU: the first line of ifconfig IF ends "metric N mtu M" (ifconfig.c status).
mtu_ensure() {
    old=$(ifconfig "$1" 2>/dev/null | sed -n '1s/.* mtu \([0-9]*\).*/\1/p')
    [ "$old" = "$2" ] && return 0
    run ifconfig "$1" mtu "$2"
    changed "interface $1 mtu ${old:-?} -> $2"
    if [ -n "$old" ]; then
        undo ifconfig "$1" mtu "$old"
    fi
}

up_ensure() {
    ifconfig "$1" 2>/dev/null | head -n 1 | grep -q '[<,]UP[,>]' && return 0
    run ifconfig "$1" up
    changed "interface $1 up"
    undo ifconfig "$1" down
}

# member_ensure BRIDGE MEMBER: addm only when MEMBER is not a member yet.
member_ensure() {
    claim 2 member_ensure "$@"
    is_member "$1" "$2" && return 0
    run ifconfig "$1" addm "$2"
    changed "$2 added to $1"
    undo ifconfig "$1" deletem "$2"
    mine
}

drop_member_ensure() {
    is_member "$1" "$2" || return 1
    run ifconfig "$1" deletem "$2" || return 2
    changed "$2 removed from $1"
}

# default_route_ensure GATEWAY: "route -n get default" prints "    gateway: ADDRESS" for a route through a
# gateway (route.c / route_netlink.c print_getmsg; the line is absent for an interface route).
default_route_ensure() {
    old=$(route -n get default 2>/dev/null | awk '$1 == "gateway:" { print $2 }')
    [ "$old" = "$1" ] && return 0
    if [ -n "$old" ]; then
        run route -n change default "$1" >/dev/null
        undo route -n change default "$old"
    else
        run route -n add default "$1" >/dev/null
        undo route -n delete default
    fi
    changed "default route via $1"
}

# static_route_ensure DEST GATEWAY | DEST -interface IF: "route -n get -net DEST" prints "destination: D"
# (the matching route's, numeric with -n) and "gateway: G" or, for an interface route, only "interface: IF".
static_route_ensure() {
    claim 1 static_route_ensure "$@"
    dest=$1
    shift
    if route_matches "$dest" "$@"; then
        return 0
    fi
    run route -n delete -net "$dest" >/dev/null 2>&1 || true
    run route -n add -net "$dest" "$@" >/dev/null
    changed "route $dest $*"
    undo route -n delete -net "$dest"
    mine
}

route_matches() {
    live=$(route -n get -net "$1" 2>/dev/null || true)
    printf '%s\n' "$live" | awk -v dest="${1%/*}" '$1 == "destination:" && $2 == dest { found = 1 } END { exit !found }' || return 1
    case $2 in
    -interface) printf '%s\n' "$live" | awk -v want="$3" '$1 == "interface:" && $2 == want { found = 1 } END { exit !found }' ;;
    *) printf '%s\n' "$live" | awk -v want="$2" '$1 == "gateway:" && $2 == want { found = 1 } END { exit !found }' ;;
    esac
}

drop_static_route_ensure() {
    route -n get -net "$1" 2>/dev/null | awk -v dest="${1%/*}" '$1 == "destination:" && $2 == dest { found = 1 } END { exit !found }' || return 1
    run route -n delete -net "$1" >/dev/null || return 2
    changed "route $1 removed"
}

# pf_enabled: "pfctl -s info" starts "Status: Enabled for ..." or "Status: Disabled" (pfctl_parser.c
# print_status); it fails when pf.ko is not loaded.
pf_enabled() {
    pfctl -s info 2>/dev/null | grep -q '^Status: Enabled'
}

# pf_ensure FILE: pf runs with FILE; reloaded with pfctl -f when it runs and FILE changed, started otherwise.
pf_ensure() {
    claim 1 pf_ensure "$@"
    if pf_enabled; then
        file_changed "$1" || return 0
        run pfctl -f "$1"
        changed "pf rules reloaded from $1"
        undo pfctl -f "$1"
    else
        run service pf onestart
        changed "pf started"
        undo service pf onestop
        mine
    fi
}

drop_pf_ensure() {
    pf_enabled || return 1
    run service pf onestop || return 2
    changed "pf stopped"
}

# service_ensure NAME [CONFIG...]: an rc.d service runs; restarted when one of its CONFIG files changed.
# The "one" prefix runs the command whatever NAME_enable says (rc.subr(8)); onestatus exits 0 only when the
# service runs ("is running as pid N", else 1; ipfw's own status reads net.inet.ip.fw.enable).
service_ensure() {
    claim 1 service_ensure "$@"
    name=$1
    shift
    if service "$name" onestatus >/dev/null 2>&1; then
        for conf in "$@"; do
            if file_changed "$conf"; then
                run service "$name" onerestart
                changed "$name restarted ($conf changed)"
                undo service "$name" onerestart
                return 0
            fi
        done
        return 0
    fi
    run service "$name" onestart
    changed "$name started"
    undo service "$name" onestop
    mine
}

drop_service_ensure() {
    service "$1" onestatus >/dev/null 2>&1 || return 1
    run service "$1" onestop || return 2
    changed "$1 stopped"
}

# vm_switch_ensure INTERFACE: vm-bhyve's switches of system.conf exist ("vm init" runs switch::init, which
# creates every switch of switch_list; a standard switch NAME is the bridge "vm-NAME").
vm_switch_ensure() {
    claim 1 vm_switch_ensure "$@"
    has_interface "$1" && return 0
    run vm init
    changed "vm-bhyve switch $1 created"
    undo ifconfig "$1" destroy
    mine
}

drop_vm_switch_ensure() {
    has_interface "$1" || return 1
    run ifconfig "$1" destroy || return 2
    changed "vm-bhyve switch $1 destroyed"
}

# vm_running NAME: vm-bhyve itself treats a guest as running when /dev/vmm/NAME exists (vm-core core::stop);
# "vm list" shows the same as "Running (PID)" in its STATE column, which it pads with column(1).
vm_running() {
    [ -e "/dev/vmm/$1" ]
}

# vm_ensure NAME BOOT: a guest is restarted when its configuration changed, started when it should run.
vm_ensure() {
    claim 1 vm_ensure "$@"
    vm info "$1" >/dev/null 2>&1 || return 0
    if vm_running "$1"; then
        any_changed "*/$1.conf" || any_changed "*/$1/*" || return 0
        run vm restart "$1"
        changed "VM $1 restarted"
        undo vm restart "$1"
    elif [ "$2" = yes ]; then
        run vm start "$1"
        changed "VM $1 started"
        undo vm stop "$1"
        mine
    fi
}

drop_vm_ensure() {
    vm_running "$1" || return 1
    run vm stop "$1" || return 2
    changed "VM $1 stopped"
}

# jail_name MANAGER NAME: the jail(8) name: iocage runs NAME as "ioc-NAME" (dots become underscores), pot
# and jail.conf as NAME.
jail_name() {
    case $1 in
    iocage) printf 'ioc-%s' "$(printf '%s' "$2" | tr . _)" ;;
    *) printf '%s' "$2" ;;
    esac
}

# jail_running MANAGER NAME: "jls -j NAME" exits 1 when there is no such jail (jls.c; rc.d/jail tests the
# same way).
jail_running() {
    jls -j "$(jail_name "$1" "$2")" >/dev/null 2>&1
}

# jail_ensure MANAGER NAME BOOT: a jail is restarted when its configuration changed, started when it should run.
jail_ensure() {
    claim 2 jail_ensure "$@"
    manager=$1
    name=$2
    if jail_running "$manager" "$name"; then
        any_changed "*/jails/$name/*" || any_changed "*/jail.conf.d/$name.conf" || return 0
        run jail_control "$manager" restart "$name"
        changed "jail $name restarted"
        undo jail_control "$manager" restart "$name"
    elif [ "$3" = yes ]; then
        run jail_control "$manager" start "$name"
        changed "jail $name started"
        undo jail_control "$manager" stop "$name"
        mine
    fi
}

drop_jail_ensure() {
    jail_running "$1" "$2" || return 1
    run jail_control "$1" stop "$2" || return 2
    changed "jail $2 stopped"
}

# jail_control MANAGER start|stop|restart NAME. pot takes the pot's name as its argument ("pot start
# [-h] [potname]", start.sh); iocage and "service jail" take the command and the name.
jail_control() {
    case $1 in
    iocage) iocage "$2" "$3" ;;
    pot)
        case $2 in
        restart) pot stop "$3" && pot start "$3" ;;
        *) pot "$2" "$3" ;;
        esac
        ;;
    *) service jail "$2" "$3" ;;
    esac
}

# any_changed PATTERN: a rewritten managed file matches the shell pattern.
any_changed() {
    [ -s "${JAILNET_CHANGED:-/dev/null}" ] || return 1
    while read -r path; do
        # shellcheck disable=SC2254 # PATTERN is a pattern on purpose
        case $path in
        $1) return 0 ;;
        esac
    done <"$JAILNET_CHANGED"
    return 1
}
