"""Small programs the lab pushes to its hosts (as file contents; this module only holds text).

``HELPER_SOURCE`` is a stdlib-only Python program run with the system ``python3``:

* ``listen --pidfile P [--spec-file F] [NETNS,ADDR:PORT,BANNER ...]`` — one daemon per lab accepting TCP
  connections in the hosts', jails', VMs' and the stub's namespaces (NETNS ``.``: its own), answering each
  with its banner line, so that a TCP check proves the connection reached the right place; ``F`` holds more
  specs, one a line (a large lab has more than a command line should carry);
* ``connect [--source A] [--timeout T] ADDR PORT`` — exit 0 when a TCP connection succeeds in time.

``UDHCPC_SCRIPT`` is the event script of busybox ``udhcpc``: it configures the leased address and router.
"""

HELPER_SOURCE = r'''#!/usr/bin/python3
"""jailnet lab helper: TCP listener daemon and bounded TCP connect probe (stdlib only)."""
import argparse
import ctypes
import os
import selectors
import socket
import sys

CLONE_NEWNET = 0x40000000


def _setns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + path)
    finally:
        os.close(fd)


def listen(args):
    sockets = []
    specs = list(args.spec)
    if args.spec_file:
        with open(args.spec_file) as f:
            specs += [line.strip() for line in f if line.strip()]
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    for spec in specs:
        netns, address, banner = spec.split(",", 2)
        host, _, port = address.rpartition(":")
        if netns != ".":
            _setns("/run/netns/" + netns)  # a socket stays in the namespace it was created in
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: the address may come up after the listener
            s.bind((host, int(port)))
            s.listen(64)
            s.setblocking(False)
            sockets.append((s, (banner + "\n").encode()))
        finally:
            if netns != ".":
                _setns("/proc/self/fd/%d" % home)
    os.close(home)
    # Daemonize: the SSH channel that started us must close, so detach and drop stdio.
    if os.fork():
        os._exit(0)
    os.setsid()
    if os.fork():
        os._exit(0)
    fd = os.open(os.devnull, os.O_RDWR)
    for n in (0, 1, 2):
        os.dup2(fd, n)
    with open(args.pidfile + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.replace(args.pidfile + ".tmp", args.pidfile)
    sel = selectors.DefaultSelector()
    for s, banner in sockets:
        sel.register(s, selectors.EVENT_READ, banner)
    while True:
        for key, _ in sel.select():
            try:
                conn, _ = key.fileobj.accept()
            except OSError:
                continue
            try:
                conn.settimeout(1)
                conn.sendall(key.data)
            except OSError:
                pass
            finally:
                conn.close()


def connect(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    try:
        if args.source:
            s.bind((args.source, 0))
        s.connect((args.address, args.port))
        data = s.recv(200)
    except OSError as exc:
        print(f"connect {args.address}:{args.port}: {exc}", file=sys.stderr)
        return 1
    finally:
        s.close()
    print(data.decode(errors="replace").strip())
    return 0


def main():
    parser = argparse.ArgumentParser(prog="jailnet-lab-helper")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("listen")
    p.add_argument("--pidfile", required=True)
    p.add_argument("--spec-file", help="more specs, one a line")
    p.add_argument("spec", nargs="*", help="NETNS,ADDRESS:PORT,BANNER (NETNS . : this namespace)")
    p = sub.add_parser("connect")
    p.add_argument("--source")
    p.add_argument("--timeout", type=float, default=1.0)
    p.add_argument("address")
    p.add_argument("port", type=int)
    args = parser.parse_args()
    if args.command == "listen":
        listen(args)
        return 0
    return connect(args)


if __name__ == "__main__":
    sys.exit(main())
'''

UDHCPC_SCRIPT = r"""#!/bin/sh
# busybox udhcpc event script for the jailnet lab: apply the lease (address, prefix, router).
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
"""
