"""The micro-batcher merges concurrent requests and hands each exactly its own outputs."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bbt.serve.batching import MicroBatcher


def run(coro):
    return asyncio.run(coro)


def test_concurrent_requests_are_merged_and_never_mixed_up():
    calls = []

    def fn(items):
        calls.append(len(items))
        return [f"out:{x}" for x in items]

    async def main():
        with ThreadPoolExecutor(2) as ex:
            b = MicroBatcher("t", fn, ex, max_batch=16, max_wait_ms=20)
            b.start()
            reqs = [[f"{r}-{i}" for i in range(r % 3 + 1)] for r in range(40)]
            outs = await asyncio.gather(*(b.submit(r) for r in reqs))
            await b.stop()
            return reqs, outs

    reqs, outs = run(main())
    assert outs == [[f"out:{x}" for x in r] for r in reqs]
    assert max(calls) <= 16 and len(calls) < 40  # merged, and never over the batch size
    assert sum(calls) == sum(len(r) for r in reqs)


def test_a_failing_batch_fails_its_requests_and_the_batcher_keeps_serving():
    def fn(items):
        if "boom" in items:
            raise ValueError("model failed")
        return items

    async def main():
        with ThreadPoolExecutor(1) as ex:
            b = MicroBatcher("t", fn, ex, max_batch=4, max_wait_ms=0)
            with pytest.raises(ValueError):
                await b.submit(["boom"])
            ok = await b.submit(["a", "b"])
            await b.stop()
            return ok

    assert run(main()) == ["a", "b"]


def test_wrong_output_count_is_an_error_not_a_shifted_answer():
    async def main():
        with ThreadPoolExecutor(1) as ex:
            b = MicroBatcher("t", lambda xs: xs[:-1], ex, max_batch=4, max_wait_ms=0)
            with pytest.raises(RuntimeError, match="1 outputs for 2 items"):
                await b.submit(["a", "b"])
            await b.stop()

    run(main())


def test_model_runs_off_the_event_loop_thread():
    seen = {}

    def fn(items):
        seen["thread"] = threading.current_thread().name
        return items

    async def main():
        with ThreadPoolExecutor(1, thread_name_prefix="model") as ex:
            b = MicroBatcher("t", fn, ex)
            await b.submit([1])
            await b.stop()

    run(main())
    assert seen["thread"].startswith("model")


def test_empty_submit_returns_without_a_model_call():
    async def main():
        with ThreadPoolExecutor(1) as ex:
            b = MicroBatcher("t", lambda xs: 1 / 0, ex)
            return await b.submit([])

    assert run(main()) == []


def test_one_bad_request_fails_alone_not_the_requests_batched_with_it():
    def fn(items):
        if "bad" in items:
            raise ValueError("cannot read 'bad'")
        return [x.upper() for x in items]

    async def main():
        with ThreadPoolExecutor(1) as ex:
            b = MicroBatcher("t", fn, ex, max_batch=16, max_wait_ms=30)
            results = await asyncio.gather(b.submit(["a"]), b.submit(["bad"]), b.submit(["c", "d"]),
                                           return_exceptions=True)
            await b.stop()
            return results

    ok1, bad, ok2 = run(main())
    assert ok1 == ["A"] and ok2 == ["C", "D"] and isinstance(bad, ValueError)


def test_stop_iteration_from_a_model_is_an_error_not_a_hang():
    def fn(items):
        return [next(iter([]))]

    async def main():
        with ThreadPoolExecutor(1) as ex:
            b = MicroBatcher("t", fn, ex, max_wait_ms=0)
            with pytest.raises(RuntimeError, match="StopIteration"):
                await asyncio.wait_for(b.submit(["x"]), 5)
            ok = await asyncio.wait_for(MicroBatcher("u", lambda xs: xs, ex).submit(["y"]), 5)
            await asyncio.wait_for(b.stop(), 5)
            return ok

    assert run(main()) == ["y"]


def test_a_full_queue_refuses_instead_of_growing():
    from bbt.serve.batching import Overloaded

    async def main():
        with ThreadPoolExecutor(1) as ex:
            b = MicroBatcher("t", lambda xs: xs, ex, max_queue=0)
            with pytest.raises(Overloaded):
                await b.submit(["x"])
            await b.stop()

    run(main())
