"""The FreeBSD target: per host, the operator script (sysrc, ifconfig, service, iocage, pot, vm ...) and the
managed files a deploy pushes (/etc/rc.conf.local, /etc/pf.conf, dnsmasq.conf, devfs.rules ...).

Both come from one plan of the host (:mod:`.plan`), built by one module per concern: :mod:`.network`,
:mod:`.firewall`, :mod:`.vms`, :mod:`.jails`. Pure: no ORM, no I/O, deterministic.
"""

from .plan import UnsafeValueError
from .render import build_plan, forced_banner, render_design, render_host

__all__ = ["UnsafeValueError", "build_plan", "forced_banner", "render_design", "render_host"]
