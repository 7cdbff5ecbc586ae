"""The multi-task mixture: capped size-proportional task weights, length-bucketed batches, exact state restore."""

import numpy as np

from bbt.train.data import TaskData, TaskMixture, collate


def task(name, n, seed):
    rng = np.random.default_rng(seed)
    ids = [[5] * int(k) + [1] for k in rng.integers(1, 200, n)]
    return TaskData(name, ids, [[7, 1]] * n, list(rng.integers(0, 3, n)))


def test_weights_are_capped_size_proportional():
    mix = TaskMixture([task("big", 5000, 0), task("mid", 1000, 1), task("small", 100, 2)], 8, cap=2000, seed=0)
    assert np.allclose(mix.weights, np.array([2000, 1000, 100]) / 3100)
    drawn = [mix.sample()[0].name for _ in range(3000)]
    assert abs(drawn.count("big") / 3000 - 2000 / 3100) < 0.03


def test_batches_are_one_task_and_length_bucketed():
    t = task("t", 2000, 3)
    mix = TaskMixture([t], 16, cap=10_000, seed=1)
    spreads = []
    for _ in range(50):
        _, idx = mix.sample()
        lens = [len(t.input_ids[i]) for i in idx]
        spreads.append(max(lens) - min(lens))
    assert np.mean(spreads) < 10  # random batches of 16 over lengths 2..200 spread ~170
    b = collate(t, idx, pad_id=0)
    assert b["input_ids"].shape[0] == 16 and b["labels"].shape == (16, 2) and b["cls_labels"].dtype.is_signed


def test_state_round_trip_reproduces_the_draws():
    mix = TaskMixture([task("a", 300, 4), task("b", 50, 5)], 4, cap=1000, seed=2)
    mix.sample()
    state = mix.state()
    ahead = [(t.name, idx.tolist()) for t, idx in (mix.sample() for _ in range(5))]
    mix.load_state(state)
    assert [(t.name, idx.tolist()) for t, idx in (mix.sample() for _ in range(5))] == ahead
