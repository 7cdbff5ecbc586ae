"""T5 span corruption: exact lengths, noise statistics, sentinel order, round trips, determinism, errors."""

import numpy as np
import pytest

from bbt.errors import BBTError
from bbt.pretrain.objectives import (corrupt_sequence, input_target_lengths, noise_mask, reconstruct,
                                     sentinel_ids, span_corrupt)

SENT = np.arange(32_000, 32_100)[::-1]  # T5 layout: <extra_id_0> has the highest id
EOS = 1


def test_lengths_match_hf_values():
    # values of HF's compute_input_and_target_lengths(512, 0.15, 3.0) and (568 raw -> 512 + 114)
    assert input_target_lengths(512) == (568, 114)


@pytest.mark.parametrize("inputs_length", [64, 128, 256, 512, 1024])
@pytest.mark.parametrize("density,mean", [(0.15, 3.0), (0.3, 5.0), (0.5, 2.0)])
def test_lengths_give_exact_input_length(inputs_length, density, mean):
    raw, target = input_target_lengths(inputs_length, density, mean)
    rng = np.random.default_rng(inputs_length)
    many = np.arange(40_000, 41_000)  # why: dense settings on long inputs need more than T5's 100 sentinels
    for _ in range(20):
        tokens = rng.integers(3, 30_000, raw)
        inputs, targets = corrupt_sequence(tokens, rng, many, EOS, density, mean)
        assert (len(inputs), len(targets)) == (inputs_length, target)
        assert inputs[-1] == EOS and targets[-1] == EOS


def test_noise_fraction_and_mean_span():
    rng = np.random.default_rng(0)
    masks = [noise_mask(500, rng) for _ in range(400)]
    frac = np.mean([m.mean() for m in masks])
    starts = sum(int((m & ~np.r_[False, m[:-1]]).sum()) for m in masks)
    assert frac == pytest.approx(0.15, abs=0.002)
    assert sum(int(m.sum()) for m in masks) / starts == pytest.approx(3.0, abs=0.05)
    assert not any(m[0] for m in masks)  # starts with a kept span


def test_short_and_degenerate_masks():
    rng = np.random.default_rng(0)
    assert noise_mask(0, rng).shape == (0,) and not noise_mask(1, rng).any()
    for n in range(2, 12):
        m = noise_mask(n, rng)
        assert 0 < m.sum() < n


def test_sentinels_in_order_once_each():
    rng = np.random.default_rng(1)
    tokens = rng.integers(3, 30_000, 300)
    mask = noise_mask(300, rng)
    inputs, targets = span_corrupt(tokens, mask, SENT, EOS)
    n = int((mask & ~np.r_[False, mask[:-1]]).sum())
    for seq in (inputs, targets):
        found = seq[np.isin(seq, SENT)]
        assert found.tolist() == SENT[:n].tolist()
    assert targets[0] == SENT[0]


def test_hand_example():
    tokens = np.array([10, 11, 12, 13, 14, 15, 16, 17])
    mask = np.array([0, 0, 1, 1, 0, 0, 0, 1], bool)
    inputs, targets = span_corrupt(tokens, mask, SENT, EOS)
    assert inputs.tolist() == [10, 11, SENT[0], 14, 15, 16, SENT[1], EOS]
    assert targets.tolist() == [SENT[0], 12, 13, SENT[1], 17, EOS]


def test_reconstruct_inverts_for_random_input():
    rng = np.random.default_rng(2)
    for n in [2, 3, 10, 57, 568]:
        tokens = rng.integers(3, 30_000, n)
        for mask in (noise_mask(n, rng), rng.random(n) < 0.4):  # also arbitrary masks, noise first included
            if int((mask & ~np.r_[False, mask[:-1]]).sum()) > len(SENT):
                continue
            assert np.array_equal(reconstruct(*span_corrupt(tokens, mask, SENT, EOS), SENT, EOS), tokens)


def test_deterministic_under_seed():
    tokens = np.arange(3, 203)
    a = corrupt_sequence(tokens, np.random.default_rng(7), SENT, EOS)
    b = corrupt_sequence(tokens, np.random.default_rng(7), SENT, EOS)
    c = corrupt_sequence(tokens, np.random.default_rng(8), SENT, EOS)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_first_sentinel_skips_reserved():
    inputs, targets = corrupt_sequence(np.arange(3, 103), np.random.default_rng(0), SENT, EOS, first_sentinel=1)
    assert SENT[0] not in inputs and targets[0] == SENT[1]


def test_errors():
    mask = np.array([0, 1, 0, 1, 0, 1], bool)
    with pytest.raises(BBTError, match="3 noise spans but only 2 sentinel"):
        span_corrupt(np.arange(6), mask, SENT[:2], EOS)
    with pytest.raises(BBTError, match="noise density"):
        noise_mask(10, np.random.default_rng(0), noise_density=1.5)
    with pytest.raises(BBTError, match="one length"):
        span_corrupt(np.arange(5), mask, SENT, EOS)
    with pytest.raises(BBTError, match="at least 3"):
        input_target_lengths(2)


def test_sentinel_ids_from_tokenizer(tokenizer_dir):
    from bbt.text.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    ids = sentinel_ids(tok)
    assert len(ids) == 100 and ids[0] == len(tok) - 1 and len(set(ids.tolist())) == 100
    assert tok.convert_ids_to_tokens(int(ids[5])) == "<extra_id_5>"
    with pytest.raises(BBTError, match="<extra_id_100>"):
        sentinel_ids(tok, n=101)
