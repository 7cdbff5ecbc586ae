"""Micro-batching: concurrent requests to one capability are merged into one model call.

A request submits its items and awaits a future. One worker task per capability collects items until the batch
is full or `max_wait_ms` has passed since the first waiting item, runs the model function in a thread pool (the
event loop stays free), and hands each request back exactly its own slice of the outputs. A failing batch fails
only the requests that were in it.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

BatchFn = Callable[[list[Any]], Sequence[Any]]


class Overloaded(Exception):
    """The capability's queue is full: the service answers 503 with Retry-After instead of queueing forever."""


class _ModelError(RuntimeError):
    """What a model function raised, carried out of the executor (StopIteration cannot cross a future)."""


def _call(fn: BatchFn, items: list[Any]) -> Sequence[Any]:
    try:
        return fn(items)
    except StopIteration as e:  # why: asyncio cannot set StopIteration on a future; the await would hang
        raise _ModelError(f"model raised StopIteration: {e!r}") from None


@dataclass
class _Job:
    items: list[Any]
    future: asyncio.Future
    enqueued: float = field(default_factory=time.perf_counter)


class MicroBatcher:
    def __init__(self, name: str, fn: BatchFn, executor: Executor, max_batch: int = 64, max_wait_ms: float = 5.0,
                 on_batch: Callable[[str, int, float], None] | None = None, max_queue: int = 4096):
        self.name, self.fn, self.executor = name, fn, executor
        self.max_batch, self.max_wait = max(1, max_batch), max(0.0, max_wait_ms) / 1000.0
        self.on_batch = on_batch  # metrics hook: (capability, items, seconds)
        self.max_queue = max_queue  # queued requests beyond which new ones are refused (overload)
        self._queue: asyncio.Queue[_Job] | None = None
        self._worker: asyncio.Task | None = None

    def start(self) -> None:
        if self._worker is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._run(), name=f"batcher-{self.name}")
            self._worker.add_done_callback(self._fail_queued)

    def _fail_queued(self, task: asyncio.Task) -> None:
        """If the worker ever dies, nobody must wait forever: fail whatever is still queued."""
        err = RuntimeError(f"batcher {self.name} stopped")
        while self._queue is not None and not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(err)
            self._queue.task_done()

    async def stop(self, timeout: float = 60.0) -> None:
        """Finish what is queued, then stop (graceful shutdown: accepted requests still get answers)."""
        if self._worker is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except asyncio.TimeoutError:
            pass
        self._worker.cancel()
        try:
            await self._worker
        except asyncio.CancelledError:
            pass
        self._worker = None

    async def submit(self, items: Sequence[Any]) -> list[Any]:
        items = list(items)
        if not items:
            return []
        if self._worker is None:
            self.start()
        if self._worker.done():
            raise RuntimeError(f"batcher {self.name} is not running")
        if self._queue.qsize() >= self.max_queue:
            raise Overloaded(self.name)
        fut = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(items, fut))
        return await fut

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        pending: _Job | None = None  # a job that did not fit into the previous batch
        while True:
            first = pending or await self._queue.get()
            pending = None
            jobs, size = [first], len(first.items)
            deadline = first.enqueued + self.max_wait
            while size < self.max_batch:
                timeout = deadline - time.perf_counter()
                try:
                    job = self._queue.get_nowait() if timeout <= 0 else await asyncio.wait_for(self._queue.get(), timeout)
                except (asyncio.QueueEmpty, asyncio.TimeoutError):
                    break
                if size + len(job.items) > self.max_batch:
                    pending = job  # why: a request is never split across batches, so it waits for the next one
                    break
                jobs.append(job)
                size += len(job.items)
            live = [j for j in jobs if not j.future.cancelled()]  # clients that hung up get no model time
            try:
                if live:
                    await self._serve(loop, live)
            except BaseException as e:  # noqa: BLE001 - e.g. cancellation at shutdown: nobody is left waiting
                for j in live:
                    if not j.future.done():
                        j.future.set_exception(e if isinstance(e, Exception) else RuntimeError(repr(e)))
                if not isinstance(e, Exception):
                    raise
            finally:
                for _ in jobs:
                    self._queue.task_done()

    async def _serve(self, loop, jobs: list[_Job]) -> None:
        """One model call for all jobs; if it fails and several requests shared it, each is retried alone, so
        only the request whose input breaks the model gets the error."""
        items = [x for j in jobs for x in j.items]
        t0 = time.perf_counter()
        try:
            outputs = await loop.run_in_executor(self.executor, _call, self.fn, items)
            if len(outputs) != len(items):
                raise RuntimeError(f"{self.name}: model returned {len(outputs)} outputs for {len(items)} items")
        except Exception as e:  # noqa: BLE001 - handed to the waiting requests, which turn it into a 500
            if len(jobs) > 1:
                for j in jobs:
                    await self._serve(loop, [j])
            elif not jobs[0].future.done():
                jobs[0].future.set_exception(e)
            return
        if self.on_batch:
            self.on_batch(self.name, len(items), time.perf_counter() - t0)
        start = 0
        for j in jobs:
            n = len(j.items)
            if not j.future.done():
                j.future.set_result(list(outputs[start:start + n]))
            start += n
