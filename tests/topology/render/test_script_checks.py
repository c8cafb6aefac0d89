"""Every rendered script of every example (and of the off-path designs) passes ``shellcheck -s sh`` and
``dash -n``; every shell-sourced managed file passes ``dash -n``; every dnsmasq.conf passes ``dnsmasq --test``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from topology.render.freebsd import render_design

from ..test_hostile_values import _design as every_field_design
from .helpers import EXAMPLES_DIR, example

EXAMPLES = sorted(p.stem for p in EXAMPLES_DIR.glob("*.yaml"))
# managed files that sh reads (rc.conf is sourced by rc(8), pot.conf and vm-bhyve's files by the tools)
SOURCED = ("rc.conf.local", "pot.conf", "system.conf", "jailnet-epair", "set_ioc_vnet_private.sh")


def _configs():
    yield from ((stem, render_design(example(stem))) for stem in EXAMPLES)
    yield "every-field", render_design(every_field_design())


CONFIGS = list(_configs())


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is a Debian package of the Makefile")
@pytest.mark.parametrize(("stem", "configs"), CONFIGS, ids=[stem for stem, _ in CONFIGS])
def test_scripts_pass_shellcheck_and_dash(stem, configs, tmp_path: Path):
    for host, config in configs.items():
        script = tmp_path / f"{host}.sh"
        script.write_text(config.script)
        check = subprocess.run(["shellcheck", "-s", "sh", str(script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
        syntax = subprocess.run(["dash", "-n", str(script)], capture_output=True, text=True)
        assert syntax.returncode == 0, syntax.stderr
        for managed in config.files:
            if managed.path.endswith(SOURCED) or managed.path.endswith(".templates/" + managed.path.rsplit("/", 1)[-1]):
                target = tmp_path / "sourced"
                target.write_text(managed.content)
                syntax = subprocess.run(["dash", "-n", str(target)], capture_output=True, text=True)
                assert syntax.returncode == 0, (managed.path, syntax.stderr)


@pytest.mark.skipif(shutil.which("dnsmasq") is None, reason="dnsmasq is a Debian package of the Makefile")
@pytest.mark.parametrize(("stem", "configs"), CONFIGS, ids=[stem for stem, _ in CONFIGS])
def test_dnsmasq_configurations_pass_dnsmasq_test(stem, configs, tmp_path: Path):
    for config in configs.values():
        managed = config.file("/usr/local/etc/dnsmasq.conf")
        if managed is None:
            continue
        path = tmp_path / "dnsmasq.conf"
        path.write_text(managed.content)
        check = subprocess.run(["dnsmasq", "--test", "-C", str(path)], capture_output=True, text=True)
        assert check.returncode == 0 and "syntax check OK" in check.stderr, check.stderr
