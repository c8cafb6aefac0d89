# jailnet: converging steps for a lab host (Linux network namespaces, iproute2, nftables, dnsmasq).
# Sourced by a host's apply program after converge-common.sh. Each step looks at the live state and acts only
# when it differs; an action prints "@@changed <what>" and appends the command that reverses it to the undo
# journal, which a rollback runs backwards after the managed files were restored. Every command that changes
# the host goes through "run" (skipped in a plan); each object a step makes exist is claimed, and
# "drop_<step>" removes it when a later bundle no longer has it. POSIX sh; shellcheck -s sh and dash -n.

# ipn NS ARGS...: ip in namespace NS ("" = the host's own).
ipn() {
    ns=$1
    shift
    if [ -n "$ns" ]; then
        ip -n "$ns" "$@"
    else
        ip "$@"
    fi
}

netns_ensure() {
    claim 1 netns_ensure "$@"
    [ -e "/run/netns/$1" ] && return 0
    run ip netns add "$1"
    changed "namespace $1 created"
    undo ip netns delete "$1"
    mine
}

drop_netns_ensure() {
    [ -e "/run/netns/$1" ] || return 1
    run ip netns delete "$1" || return 2
    changed "namespace $1 removed"
}

# link_ensure NS NAME ARGS...: create link NAME (ip link add NAME ARGS) when absent.
link_ensure() {
    claim 2 link_ensure "$@"
    ns=$1
    name=$2
    shift 2
    ipn "$ns" link show dev "$name" >/dev/null 2>&1 && return 0
    run ipn "$ns" link add "$name" "$@"
    changed "link $name created${ns:+ in $ns}"
    undo ipn "$ns" link delete "$name"
    mine
}

drop_link_ensure() {
    ipn "$1" link show dev "$2" >/dev/null 2>&1 || return 1
    run ipn "$1" link delete "$2" || return 2
    changed "link $2 removed${1:+ in $1}"
}

link_line() {
    ipn "$1" -o link show dev "$2"
}

# link_mtu NS NAME MTU
link_mtu() {
    old=$(link_line "$1" "$2" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
    [ "$old" = "$3" ] && return 0
    run ipn "$1" link set "$2" mtu "$3"
    changed "link $2 mtu $old -> $3"
    if [ -n "$old" ]; then
        undo ipn "$1" link set "$2" mtu "$old"
    fi
}

# link_master NS NAME BRIDGE
link_master() {
    claim 3 link_master "$@"
    old=$(link_line "$1" "$2" 2>/dev/null | sed -n 's/.* master \([^ ]*\) .*/\1/p')
    [ "$old" = "$3" ] && return 0
    run ipn "$1" link set "$2" master "$3"
    changed "link $2 added to $3"
    if [ -n "$old" ]; then
        undo ipn "$1" link set "$2" master "$old"
    else
        undo ipn "$1" link set "$2" nomaster
    fi
    mine
}

drop_link_master() {
    old=$(link_line "$1" "$2" 2>/dev/null | sed -n 's/.* master \([^ ]*\) .*/\1/p')
    [ "$old" = "$3" ] || return 1
    run ipn "$1" link set "$2" nomaster || return 2
    changed "link $2 removed from $3"
}

# link_up NS NAME
link_up() {
    link_line "$1" "$2" 2>/dev/null | grep -q '[<,]UP[,>]' && return 0
    run ipn "$1" link set "$2" up
    changed "link $2 up"
    undo ipn "$1" link set "$2" down
}

# link_address NS NAME MAC
link_address() {
    old=$(link_line "$1" "$2" 2>/dev/null | sed -n 's/.* link\/ether \([0-9a-f:]*\) .*/\1/p')
    [ "$old" = "$3" ] && return 0
    run ipn "$1" link set "$2" address "$3"
    changed "link $2 address $3"
    if [ -n "$old" ]; then
        undo ipn "$1" link set "$2" address "$old"
    fi
}

# addr_ensure NS CIDR DEV
addr_ensure() {
    claim 3 addr_ensure "$@"
    ipn "$1" -o addr show dev "$3" 2>/dev/null | grep -qF " $2 " && return 0
    run ipn "$1" addr add "$2" dev "$3"
    changed "address $2 on $3"
    undo ipn "$1" addr del "$2" dev "$3"
    mine
}

drop_addr_ensure() {
    ipn "$1" -o addr show dev "$3" 2>/dev/null | grep -qF " $2 " || return 1
    run ipn "$1" addr del "$2" dev "$3" || return 2
    changed "address $2 removed from $3"
}

# route_ensure NS DEST [via GW] [dev DEV]: the route to DEST goes exactly this way.
route_ensure() {
    claim 2 route_ensure "$@"
    ns=$1
    dest=$2
    shift 2
    live=$(ipn "$ns" route show exact "$dest" 2>/dev/null | head -n 1)
    want="$dest $*"
    if [ -n "$live" ]; then
        matches=yes
        while [ $# -ge 2 ]; do
            case " $live " in
            *" $1 $2 "*) ;;
            *) matches=no ;;
            esac
            shift 2
        done
        [ "$matches" = yes ] && return 0
    fi
    # shellcheck disable=SC2086 # want is the route's own words, split on purpose
    run ipn "$ns" route replace $want
    changed "route $want"
    if [ -n "$live" ]; then
        # shellcheck disable=SC2086
        undo ipn "$ns" route replace $live
    else
        undo ipn "$ns" route del "$dest"
        mine
    fi
}

drop_route_ensure() {
    [ -n "$(ipn "$1" route show exact "$2" 2>/dev/null)" ] || return 1
    run ipn "$1" route del "$2" || return 2
    changed "route $2 removed${1:+ in $1}"
}

# sysctl_ensure KEY VALUE: unknown keys are skipped (sysctl -e).
sysctl_ensure() {
    old=$(sysctl -n "$1" 2>/dev/null) || return 0
    [ "$old" = "$2" ] && return 0
    run sysctl -q -w "$1=$2"
    changed "sysctl $1 $old -> $2"
    undo sysctl -q -w "$1=$old"
}

# nft_ensure NS TABLE FILE: load the table from FILE when FILE changed or the table is missing; the table is
# replaced in one nftables transaction (add, delete, define), so there is no moment without rules.
nft_ensure() {
    claim 2 nft_ensure "$@"
    ns=$1
    table=$2
    file=$3
    if ! file_changed "$file" && nsrun "$ns" nft list table ip "$table" >/dev/null 2>&1; then
        return 0
    fi
    saved="$JAILNET_DIR/undo/nft-$(printf '%s' "$ns-$table" | tr -c 'A-Za-z0-9_-' _)"
    mkdir -p "$JAILNET_DIR/undo"
    if nsrun "$ns" nft list table ip "$table" >"$saved.rules" 2>/dev/null; then
        nft_wrapper "$table" "$saved.rules" >"$saved"
    else
        printf 'table ip %s\ndelete table ip %s\n' "$table" "$table" >"$saved"
    fi
    nft_wrapper "$table" "$file" >"$JAILNET_DIR/nft-load"
    run nsrun "$ns" nft -f "$JAILNET_DIR/nft-load"
    changed "nftables table $table loaded${ns:+ in $ns}"
    undo nsrun "$ns" nft -f "$saved"
    mine
}

drop_nft_ensure() {
    nsrun "$1" nft list table ip "$2" >/dev/null 2>&1 || return 1
    run nsrun "$1" nft delete table ip "$2" || return 2
    changed "nftables table $2 removed${1:+ in $1}"
}

nft_wrapper() {
    printf 'table ip %s\ndelete table ip %s\ninclude "%s"\n' "$1" "$1" "$2"
}

# nsrun NS COMMAND...: COMMAND inside namespace NS ("" = here).
nsrun() {
    ns=$1
    shift
    if [ -n "$ns" ]; then
        nsenter "--net=/run/netns/$ns" "$@"
    else
        "$@"
    fi
}

# dnsmasq_ensure CONF: dnsmasq serving CONF runs, and was restarted if CONF changed.
dnsmasq_ensure() {
    claim 1 dnsmasq_ensure "$@"
    conf=$1
    pids=$(pgrep -f -x "dnsmasq --conf-file=$conf" || true)
    if [ -n "$pids" ] && ! file_changed "$conf"; then
        return 0
    fi
    run dnsmasq_restart "$conf"
    changed "dnsmasq ($conf) restarted"
    undo dnsmasq_restart "$conf"
    mine
}

drop_dnsmasq_ensure() {
    pids=$(pgrep -f -x "dnsmasq --conf-file=$1" || true)
    [ -n "$pids" ] || return 1
    # shellcheck disable=SC2086 # one pid a word
    run kill $pids || return 2
    changed "dnsmasq ($1) stopped"
}

dnsmasq_restart() {
    pids=$(pgrep -f -x "dnsmasq --conf-file=$1" || true)
    if [ -n "$pids" ]; then
        # shellcheck disable=SC2086 # one pid a word
        kill $pids
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            pgrep -f -x "dnsmasq --conf-file=$1" >/dev/null || break
            sleep 0.1
        done
    fi
    dnsmasq "--conf-file=$1"
}

# dhcp_ensure NS DEV COMMAND...: run the DHCP client COMMAND in NS unless DEV already has an IPv4 address.
dhcp_ensure() {
    ns=$1
    dev=$2
    shift 2
    ipn "$ns" -4 -o addr show dev "$dev" | grep -q ' inet ' && return 0
    run "$@" || printf '@@warning DHCP client on %s in %s did not get a lease\n' "$dev" "$ns"
    changed "DHCP client run on $dev in $ns"
}

# fdb_ensure DEV MAC DST: a static forwarding entry of a VXLAN device.
fdb_ensure() {
    claim 3 fdb_ensure "$@"
    bridge fdb show dev "$1" 2>/dev/null | grep -q "^$2 dst $3 " && return 0
    run bridge fdb append "$2" dev "$1" dst "$3"
    changed "fdb $2 dst $3 on $1"
    undo bridge fdb del "$2" dev "$1" dst "$3"
    mine
}

drop_fdb_ensure() {
    bridge fdb show dev "$1" 2>/dev/null | grep -q "^$2 dst $3 " || return 1
    run bridge fdb del "$2" dev "$1" dst "$3" || return 2
    changed "fdb $2 dst $3 removed from $1"
}

# port_flag NS DEV FLAG on|off: bridge port flag FLAG (isolated: the lab's private members; learning) of DEV.
port_flag() {
    if nsrun "$1" bridge -d link show dev "$2" 2>/dev/null | grep -q " $3 $4"; then
        return 0
    fi
    run ipn "$1" link set "$2" type bridge_slave "$3" "$4"
    changed "bridge port $2 $3 $4"
    if [ "$4" = on ]; then
        undo ipn "$1" link set "$2" type bridge_slave "$3" off
    else
        undo ipn "$1" link set "$2" type bridge_slave "$3" on
    fi
}
