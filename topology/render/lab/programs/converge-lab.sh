# jailnet: converging steps for a lab host (Linux network namespaces, iproute2, nftables, dnsmasq).
# Sourced by a host's apply program. Each step looks at the live state and acts only when it differs; an
# action prints "@@changed <what>" and appends the command that reverses it to "$JAILNET_UNDO", which a
# rollback runs backwards after the managed files were restored. "$JAILNET_CHANGED" lists the managed files
# this deploy rewrote, one path a line. POSIX sh; checked with shellcheck -s sh and dash -n.

set -u

changed() {
    printf '@@changed %s\n' "$*"
}

# undo WORD...: append one command, each word quoted for sh, to the undo journal.
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
    [ -e "/run/netns/$1" ] && return 0
    ip netns add "$1"
    changed "namespace $1 created"
    undo ip netns delete "$1"
}

# link_ensure NS NAME ARGS...: create link NAME (ip link add NAME ARGS) when absent.
link_ensure() {
    ns=$1
    name=$2
    shift 2
    ipn "$ns" link show dev "$name" >/dev/null 2>&1 && return 0
    ipn "$ns" link add "$name" "$@"
    changed "link $name created${ns:+ in $ns}"
    undo ipn "$ns" link delete "$name"
}

link_line() {
    ipn "$1" -o link show dev "$2"
}

# link_mtu NS NAME MTU
link_mtu() {
    old=$(link_line "$1" "$2" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
    [ "$old" = "$3" ] && return 0
    ipn "$1" link set "$2" mtu "$3"
    changed "link $2 mtu $old -> $3"
    if [ -n "$old" ]; then
        undo ipn "$1" link set "$2" mtu "$old"
    fi
}

# link_master NS NAME BRIDGE
link_master() {
    old=$(link_line "$1" "$2" | sed -n 's/.* master \([^ ]*\) .*/\1/p')
    [ "$old" = "$3" ] && return 0
    ipn "$1" link set "$2" master "$3"
    changed "link $2 added to $3"
    if [ -n "$old" ]; then
        undo ipn "$1" link set "$2" master "$old"
    else
        undo ipn "$1" link set "$2" nomaster
    fi
}

# link_up NS NAME
link_up() {
    link_line "$1" "$2" | grep -q '[<,]UP[,>]' && return 0
    ipn "$1" link set "$2" up
    changed "link $2 up"
    undo ipn "$1" link set "$2" down
}

# link_address NS NAME MAC
link_address() {
    old=$(link_line "$1" "$2" | sed -n 's/.* link\/ether \([0-9a-f:]*\) .*/\1/p')
    [ "$old" = "$3" ] && return 0
    ipn "$1" link set "$2" address "$3"
    changed "link $2 address $3"
    if [ -n "$old" ]; then
        undo ipn "$1" link set "$2" address "$old"
    fi
}

# addr_ensure NS CIDR DEV
addr_ensure() {
    ipn "$1" -o addr show dev "$3" | grep -q " $2 " && return 0
    ipn "$1" addr add "$2" dev "$3"
    changed "address $2 on $3"
    undo ipn "$1" addr del "$2" dev "$3"
}

# route_ensure NS DEST [via GW] [dev DEV]: the route to DEST goes exactly this way.
route_ensure() {
    ns=$1
    dest=$2
    shift 2
    live=$(ipn "$ns" route show exact "$dest" | head -n 1)
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
    ipn "$ns" route replace $want
    changed "route $want"
    if [ -n "$live" ]; then
        # shellcheck disable=SC2086
        undo ipn "$ns" route replace $live
    else
        undo ipn "$ns" route del "$dest"
    fi
}

# sysctl_ensure KEY VALUE: unknown keys are skipped (sysctl -e).
sysctl_ensure() {
    old=$(sysctl -n "$1" 2>/dev/null) || return 0
    [ "$old" = "$2" ] && return 0
    sysctl -q -w "$1=$2"
    changed "sysctl $1 $old -> $2"
    undo sysctl -q -w "$1=$old"
}

# nft_ensure NS TABLE FILE: load the table from FILE when FILE changed or the table is missing; the table is
# replaced in one nftables transaction (add, delete, define), so there is no moment without rules.
nft_ensure() {
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
    nsrun "$ns" nft -f "$JAILNET_DIR/nft-load"
    changed "nftables table $table loaded${ns:+ in $ns}"
    undo nsrun "$ns" nft -f "$saved"
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
    conf=$1
    pids=$(pgrep -f -x "dnsmasq --conf-file=$conf" || true)
    if [ -n "$pids" ] && ! file_changed "$conf"; then
        return 0
    fi
    dnsmasq_restart "$conf"
    changed "dnsmasq ($conf) restarted"
    undo dnsmasq_restart "$conf"
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
    "$@" || printf '@@warning DHCP client on %s in %s did not get a lease\n' "$dev" "$ns"
    changed "DHCP client run on $dev in $ns"
}

# fdb_ensure DEV MAC DST: a static forwarding entry of a VXLAN device.
fdb_ensure() {
    bridge fdb show dev "$1" | grep -q "^$2 dst $3 " && return 0
    bridge fdb append "$2" dev "$1" dst "$3"
    changed "fdb $2 dst $3 on $1"
    undo bridge fdb del "$2" dev "$1" dst "$3"
}

# port_flag NS DEV FLAG on|off: bridge port flag FLAG (isolated: the lab's private members; learning) of DEV.
port_flag() {
    if nsrun "$1" bridge -d link show dev "$2" | grep -q " $3 $4"; then
        return 0
    fi
    ipn "$1" link set "$2" type bridge_slave "$3" "$4"
    changed "bridge port $2 $3 $4"
    if [ "$4" = on ]; then
        undo ipn "$1" link set "$2" type bridge_slave "$3" off
    else
        undo ipn "$1" link set "$2" type bridge_slave "$3" on
    fi
}
