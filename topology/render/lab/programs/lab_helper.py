#!/usr/bin/python3
"""jailnet lab helper: a TCP listener daemon and a bounded TCP connect probe.

The lab copies this file to its state directory and runs it with the system ``python3 -I -S`` (so it
imports nothing but the standard library, and nothing of jailnet):

* ``listen --pidfile P [--spec-file F] [NETNS,ADDR:PORT,BANNER ...]`` — one daemon per lab accepting TCP
  connections in the hosts', jails', VMs' and the stub's namespaces (NETNS ``.``: its own), answering each
  with its banner line, so that a TCP check proves the connection reached the right place; ``F`` holds more
  specs, one a line (a large lab has more than a command line should carry);
* ``connect [--source A] [--timeout T] ADDR PORT`` — exit 0 and print the banner when a TCP connection
  succeeds in time; exit 1 with the reason on standard error otherwise.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import selectors
import socket
import sys

CLONE_NEWNET = 0x40000000
IP_FREEBIND = 15  # Linux <netinet/in.h>: bind to an address that is not (yet) configured


def _setns(path: str) -> None:
    """Move this thread into the network namespace at ``path``."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + path)
    finally:
        os.close(fd)


def parse_spec(spec: str) -> tuple[str, str, int, bytes]:
    """``NETNS,ADDR:PORT,BANNER`` -> (netns, address, port, banner line); the banner may contain commas."""
    netns, address, banner = spec.split(",", 2)
    host, _, port = address.rpartition(":")
    return netns, host, int(port), (banner + "\n").encode()


def open_listeners(specs: list[str]) -> list[tuple[socket.socket, bytes]]:
    """A listening socket per spec, each created in its namespace (a socket stays in the one it was made in)."""
    sockets: list[tuple[socket.socket, bytes]] = []
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        for spec in specs:
            netns, host, port, banner = parse_spec(spec)
            if netns != ".":
                _setns("/run/netns/" + netns)
            try:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)  # the address may come up after the listener
                s.bind((host, port))
                s.listen(64)
                s.setblocking(False)
                sockets.append((s, banner))
            finally:
                if netns != ".":
                    _setns(f"/proc/self/fd/{home}")
    finally:
        os.close(home)
    return sockets


def _daemonize(pidfile: str) -> None:
    """Detach from the SSH channel that started us (it must close) and record the daemon's pid."""
    if os.fork():
        os._exit(0)
    os.setsid()
    if os.fork():
        os._exit(0)
    fd = os.open(os.devnull, os.O_RDWR)
    for n in (0, 1, 2):
        os.dup2(fd, n)
    with open(pidfile + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.replace(pidfile + ".tmp", pidfile)


def serve(sockets: list[tuple[socket.socket, bytes]]) -> None:
    """Answer every connection with its socket's banner, then close it; runs until killed."""
    sel = selectors.DefaultSelector()
    for s, banner in sockets:
        sel.register(s, selectors.EVENT_READ, banner)
    while True:
        for key, _ in sel.select():
            listener = key.fileobj
            assert isinstance(listener, socket.socket)
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            try:
                conn.settimeout(1)
                conn.sendall(key.data)
            except OSError:
                pass
            finally:
                conn.close()


def listen(args: argparse.Namespace) -> int:
    """The ``listen`` command: open every listener, then serve them as a daemon."""
    specs = list(args.spec)
    if args.spec_file:
        with open(args.spec_file) as f:
            specs += [line.strip() for line in f if line.strip()]
    sockets = open_listeners(specs)
    _daemonize(args.pidfile)
    serve(sockets)
    return 0


def connect(args: argparse.Namespace) -> int:
    """The ``connect`` command: one TCP connection within the timeout; print what the listener says."""
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


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command."""
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
    args = parser.parse_args(argv)
    return listen(args) if args.command == "listen" else connect(args)


if __name__ == "__main__":
    sys.exit(main())
