# jailnet: converging steps for a FreeBSD jailhost (ifconfig, route, pf, ipfw, vm-bhyve, iocage, pot, jail).
# Sourced by a host's apply program after the managed files (rc.conf.local, pf.conf ...) are in place. Each
# step looks at the live state and acts only when it differs; an action prints "@@changed <what>" and appends
# the command that reverses it to "$JAILNET_UNDO" (a rollback runs them backwards after restoring the files).
# "$JAILNET_CHANGED" lists the managed files this deploy rewrote. POSIX sh; shellcheck -s sh and dash -n.

set -u

changed() {
    printf '@@changed %s\n' "$*"
}

undo() {
    line=""
    for word in "$@"; do
        quoted=$(printf '%s' "$word" | sed "s/'/'\\\\''/g")
        line="$line '$quoted'"
    done
    printf '%s\n' "$line" >>"$JAILNET_UNDO"
}

file_changed() {
    grep -qxF -- "$1" "$JAILNET_CHANGED" 2>/dev/null
}

# any_changed PATTERN: a rewritten managed file matches the shell pattern.
any_changed() {
    [ -s "$JAILNET_CHANGED" ] || return 1
    while read -r path; do
        # shellcheck disable=SC2254 # PATTERN is a pattern on purpose
        case $path in
        $1) return 0 ;;
        esac
    done <"$JAILNET_CHANGED"
    return 1
}

has_interface() {
    ifconfig "$1" >/dev/null 2>&1
}

sysctl_ensure() {
    old=$(sysctl -n "$1" 2>/dev/null) || return 0
    [ "$old" = "$2" ] && return 0
    sysctl "$1=$2" >/dev/null
    changed "sysctl $1 $old -> $2"
    undo sysctl "$1=$old"
}

# clone_ensure RCNAME FINAL ARGS...: a cloned interface (cloned_interfaces) named FINAL exists. It is created
# with a unit the kernel picks (bridge0 may already be someone else's) and renamed, as rc(8) names it.
clone_ensure() {
    rcname=$1
    final=$2
    shift 2
    has_interface "$final" && return 0
    kind=$(printf '%s' "$rcname" | sed 's/[0-9]*$//')
    created=$(ifconfig "$kind" create "$@")
    if [ "$created" != "$final" ]; then
        ifconfig "$created" name "$final" >/dev/null
    fi
    changed "interface $final created"
    undo ifconfig "$final" destroy
}

# vlan_ensure PARENT TAG: the VLAN interface PARENT.TAG (vlans_PARENT) exists.
vlan_ensure() {
    has_interface "$1.$2" && return 0
    ifconfig "$1.$2" create vlan "$2" vlandev "$1"
    changed "VLAN interface $1.$2 created"
    undo ifconfig "$1.$2" destroy
}

# addr_ensure IF ADDRESS PREFIXLEN: an IPv4 address on IF (added as an alias: other addresses stay).
addr_ensure() {
    ifconfig "$1" inet 2>/dev/null | grep -q "inet $2 " && return 0
    ifconfig "$1" inet "$2/$3" alias
    changed "address $2/$3 on $1"
    undo ifconfig "$1" inet "$2" -alias
}

mtu_ensure() {
    old=$(ifconfig "$1" | sed -n '1s/.* mtu \([0-9]*\).*/\1/p')
    [ "$old" = "$2" ] && return 0
    ifconfig "$1" mtu "$2"
    changed "interface $1 mtu $old -> $2"
    if [ -n "$old" ]; then
        undo ifconfig "$1" mtu "$old"
    fi
}

up_ensure() {
    ifconfig "$1" | head -n 1 | grep -q '[<,]UP[,>]' && return 0
    ifconfig "$1" up
    changed "interface $1 up"
    undo ifconfig "$1" down
}

# member_ensure BRIDGE MEMBER: addm only when MEMBER is not a member yet.
member_ensure() {
    ifconfig "$1" | grep -q "member: $2 " && return 0
    ifconfig "$1" addm "$2"
    changed "$2 added to $1"
    undo ifconfig "$1" deletem "$2"
}

# default_route_ensure GATEWAY
default_route_ensure() {
    old=$(route -n get default 2>/dev/null | awk '/gateway:/ { print $2 }')
    [ "$old" = "$1" ] && return 0
    if [ -n "$old" ]; then
        route -n change default "$1" >/dev/null
        undo route -n change default "$old"
    else
        route -n add default "$1" >/dev/null
        undo route -n delete default
    fi
    changed "default route via $1"
}

# static_route_ensure DEST GATEWAY | DEST -interface IF
static_route_ensure() {
    dest=$1
    shift
    live=$(route -n get -net "$dest" 2>/dev/null || true)
    case $1 in
    -interface) want="interface: $2" ;;
    *) want="gateway: $1" ;;
    esac
    if printf '%s\n' "$live" | grep -q "destination: ${dest%/*}\$" && printf '%s\n' "$live" | grep -q "$want\$"; then
        return 0
    fi
    route -n delete -net "$dest" >/dev/null 2>&1 || true
    route -n add -net "$dest" "$@" >/dev/null
    changed "route $dest $*"
    undo route -n delete -net "$dest"
}

# pf_ensure FILE: pf runs with FILE; reloaded with pfctl -f when it runs and FILE changed, started otherwise.
pf_ensure() {
    if pfctl -s info 2>/dev/null | grep -q 'Status: Enabled'; then
        file_changed "$1" || return 0
        pfctl -f "$1"
        changed "pf rules reloaded from $1"
        undo pfctl -f "$1"
    else
        service pf start
        changed "pf started"
        undo service pf stop
    fi
}

# service_ensure NAME [CONFIG...]: an rc.d service runs; restarted when one of its CONFIG files changed.
service_ensure() {
    name=$1
    shift
    if service "$name" status >/dev/null 2>&1; then
        for conf in "$@"; do
            if file_changed "$conf"; then
                service "$name" restart
                changed "$name restarted ($conf changed)"
                undo service "$name" restart
                return 0
            fi
        done
        return 0
    fi
    service "$name" start
    changed "$name started"
    undo service "$name" stop
}

# vm_switch_ensure INTERFACE: vm-bhyve's switches of system.conf exist (vm init creates the missing ones).
vm_switch_ensure() {
    has_interface "$1" && return 0
    vm init
    changed "vm-bhyve switch $1 created"
    undo ifconfig "$1" destroy
}

# vm_ensure NAME BOOT: a guest is restarted when its configuration changed, started when it should run.
vm_ensure() {
    vm info "$1" >/dev/null 2>&1 || return 0
    if vm list | awk -v name="$1" '$1 == name && /Running/ { found = 1 } END { exit !found }'; then
        any_changed "*/$1.conf" || any_changed "*/$1/*" || return 0
        vm restart "$1"
        changed "VM $1 restarted"
        undo vm restart "$1"
    elif [ "$2" = yes ]; then
        vm start "$1"
        changed "VM $1 started"
        undo vm stop "$1"
    fi
}

# jail_ensure MANAGER NAME BOOT: a jail is restarted when its configuration changed, started when it should run.
jail_ensure() {
    manager=$1
    name=$2
    if jls -j "$name" >/dev/null 2>&1; then
        any_changed "*/jails/$name/*" || any_changed "*/jail.conf.d/$name.conf" || return 0
        jail_control "$manager" restart "$name"
        changed "jail $name restarted"
        undo jail_control "$manager" restart "$name"
    elif [ "$3" = yes ]; then
        jail_control "$manager" start "$name"
        changed "jail $name started"
        undo jail_control "$manager" stop "$name"
    fi
}

jail_control() {
    case $1 in
    iocage) iocage "$2" "$3" ;;
    pot)
        case $2 in
        restart) pot stop -p "$3" && pot start -p "$3" ;;
        *) pot "$2" -p "$3" ;;
        esac
        ;;
    *) service jail "$2" "$3" ;;
    esac
}
