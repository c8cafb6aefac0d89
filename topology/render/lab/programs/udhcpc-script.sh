#!/bin/sh
# busybox udhcpc event script for the jailnet lab: apply the lease (address, prefix, router).
# udhcpc passes the lease in the environment: interface, ip, mask, router.
# shellcheck disable=SC2154
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    if [ -n "$router" ]; then
      ip route replace default via "${router%% *}" dev "$interface"
    fi
    ;;
esac
exit 0
