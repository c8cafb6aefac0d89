#!/bin/sh
# Facts of one host for jailnet's "Test connection": read-only, no side effects, POSIX sh (FreeBSD's sh, dash).
# Each fact is printed as "@@fact NAME" followed by its lines; the parser in facts.py reads them back.
fact() {
    printf '@@fact %s\n' "$1"
}
fact system
uname -s
fact uname
uname -a
fact release
if command -v freebsd-version >/dev/null 2>&1; then
    freebsd-version
elif [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091 # the file is the host's, read only to name its release
    (. /etc/os-release && printf '%s\n' "${PRETTY_NAME:-$NAME $VERSION_ID}")
fi
fact tools
for tool in iocage pot vm dnsmasq pfctl jail bhyve ip nft bridge; do
    if path=$(command -v "$tool" 2>/dev/null); then
        printf '%s %s\n' "$tool" "$path"
    fi
done
fact interfaces
if command -v ifconfig >/dev/null 2>&1 && [ "$(uname -s)" = FreeBSD ]; then
    ifconfig -l
elif command -v ip >/dev/null 2>&1; then
    # Linux (lab hosts): the namespace's own links; /sys/class/net would show the namespace that mounted /sys.
    ip -o link show | cut -d: -f2
fi
fact end
