"""Output of jobs on their way to websockets: each stored chunk encoded to JSON once per web process, whatever the
number of sockets following its job, and frames made by joining those encoded chunks.

A job's log publishes every stored batch with its chunks already encoded (:func:`encode_chunk`); the web process
keeps recent encoded chunks in one cache bounded in bytes (:data:`CHUNKS`), which live batches fill and from which
every socket's frames are cut. A socket that is behind (it reads slowly, it reconnected with ``since``, it missed
messages) gets what it lacks from the cache, or from the database in large pages encoded once and cached for the
other sockets at the same place: the server's memory is bounded by the cache, not by what the sockets do.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from typing import Any

from channels.db import database_sync_to_async

from .log import encode_chunk
from .selectors import job_output_after

CACHE_BYTES = 32 * 1024 * 1024  # encoded chunks kept per web process (a chunk holds at most about 64 KiB)
FRAME_BYTES = 512 * 1024  # encoded output per websocket frame (at least one chunk): what a socket behind gets at once
LOAD_PAGE = 64  # chunks read from the database per query by a socket behind (up to about 4 MiB)


class ChunkCache:
    """Encoded chunks by (job, sequence number), least recently used dropped first beyond ``limit`` bytes."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._loads: dict[tuple[int, int], asyncio.Future[list[tuple[int, str]]]] = {}

    def get(self, job_id: int, seq: int) -> str | None:
        text = self._items.get((job_id, seq))
        if text is not None:
            self._items.move_to_end((job_id, seq))
        return text

    def put(self, job_id: int, seq: int, text: str) -> None:
        if (job_id, seq) in self._items:
            return
        self._items[(job_id, seq)] = text
        self.size += len(text)
        while self.size > self.limit and self._items:
            _, dropped = self._items.popitem(last=False)
            self.size -= len(dropped)

    def clear(self) -> None:
        self._items.clear()
        self.size = 0

    async def run(self, job_id: int, first: int, last: int, budget: int = FRAME_BYTES) -> list[tuple[int, str]]:
        """Encoded chunks ``first``, ``first + 1`` ... (at most ``last``) of ``job_id``, about ``budget`` bytes (at
        least one chunk when there is one), from the cache or else from the database."""
        run: list[tuple[int, str]] = []
        size = 0
        seq = first
        while seq <= last and (not run or size < budget):
            text = self.get(job_id, seq)
            if text is None:
                page = await self._load(job_id, seq - 1, last)
                if not page or page[0][0] != seq:
                    break  # not stored (yet): the caller tries again when it learns more
                for page_seq, page_text in page:
                    if run and size >= budget:
                        break
                    run.append((page_seq, page_text))
                    size += len(page_text)
                    seq = page_seq + 1
                continue
            run.append((seq, text))
            size += len(text)
            seq += 1
        return run

    async def _load(self, job_id: int, after: int, upto: int) -> list[tuple[int, str]]:
        """Read a page of stored chunks after ``after`` (one query however many sockets ask at once), cache it."""
        key = (job_id, after)
        pending = self._loads.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[list[tuple[int, str]]] = asyncio.get_running_loop().create_future()
        self._loads[key] = future
        try:
            chunks = await database_sync_to_async(job_output_after)(
                job_id=job_id, after=after, upto=upto, limit=LOAD_PAGE
            )
            page = [(chunk["seq"], encode_chunk(chunk)) for chunk in chunks]
            for seq, text in page:
                self.put(job_id, seq, text)
            future.set_result(page)
            return page
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # read: no "never retrieved" warning when nobody else waited
            raise
        finally:
            del self._loads[key]


CHUNKS = ChunkCache()


def output_frame(job_id: int, chunks: list[str], steps: list[dict[str, Any]] | None) -> str:
    """The ``job.output`` frame of encoded ``chunks`` (joined, not encoded again) and ``steps``."""
    steps_text = json.dumps(steps, separators=(",", ":")) if steps else "[]"
    return f'{{"type":"job.output","job":{int(job_id)},"chunks":[{",".join(chunks)}],"steps":{steps_text}}}'
