"""The SSH transport's command line refuses what a login shell on the host could read otherwise than as one word,
for every command it runs (the check ``params.remote_command`` makes for diagnostics' parameters)."""

from __future__ import annotations

import asyncio

import pytest

from executors.ssh.transport import CommandStream, UnsafeCommand, command_line


@pytest.mark.parametrize("element", ["a\nreboot", "x\x00", "tab\there", "!!", "not ! icmp", "del\x7f"])
def test_control_characters_and_bangs_are_refused(element):
    with pytest.raises(UnsafeCommand, match="control character or '!'"):
        command_line(["tcpdump", "--", element])


def test_a_plain_argv_is_one_quoted_word_per_element():
    assert command_line(["tcpdump", "--", "udp and port 4789"]) == "tcpdump -- 'udp and port 4789'"
    with pytest.raises(UnsafeCommand):
        command_line([])


def test_the_stream_refuses_before_opening_a_channel():
    class NoConnection:
        def create_process(self, *args, **kwargs):  # pragma: no cover - must not be reached
            raise AssertionError("a channel was opened")

    async def run() -> None:
        stream = CommandStream(
            NoConnection(),  # type: ignore[arg-type]
            ("echo", "a!b"),
            timeout=5,
            input=None,
            channels=asyncio.Semaphore(1),
        )
        async for _ in stream:
            pass

    with pytest.raises(UnsafeCommand):
        asyncio.run(run())
