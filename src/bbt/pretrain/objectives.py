"""T5 span corruption (Raffel et al. 2020; the same algorithm as HF's ``run_t5_mlm_flax.py``), in NumPy.

    tokens  a b c d e f g h        mask    . . x x . . . x
    inputs  a b <extra_id_0> e f g <extra_id_1> </s>
    targets <extra_id_0> c d <extra_id_1> h </s>

Unlike HF, the targets carry no trailing sentinel after the last span: the target length is then exactly
``noise + spans + 1``, which `input_target_lengths` promises.
"""

from __future__ import annotations

import numpy as np

from bbt.errors import BBTError


def _check(noise_density: float, mean_span: float) -> None:
    if not 0 < noise_density < 1:
        raise BBTError(f"noise density must be between 0 and 1 (exclusive), got {noise_density}")
    if mean_span <= 0:
        raise BBTError(f"mean noise span length must be positive, got {mean_span}")


def _counts(length: int, noise_density: float, mean_span: float) -> tuple[int, int]:
    """(noise tokens, noise spans) for a sequence of ``length`` tokens: shared by the mask and the lengths."""
    noise = min(max(round(length * noise_density), 1), length - 1)  # why: at least one kept and one noise token
    spans = max(round(min(noise, length - noise) / mean_span), 1)
    return noise, min(spans, noise, length - noise)  # why: each span and each gap needs at least one token


def input_target_lengths(inputs_length: int, noise_density: float = 0.15, mean_span: float = 3.0) -> tuple[int, int]:
    """(raw tokens to take, target length) so that the corrupted input is exactly ``inputs_length`` tokens.

    Both lengths include the final ``</s>``. As HF's ``compute_input_and_target_lengths``: the largest raw
    length whose corrupted input still fits.
    """
    _check(noise_density, mean_span)
    if inputs_length < 3:
        raise BBTError(f"input length must be at least 3 (a kept token, a sentinel and </s>), got {inputs_length}")

    def lengths(n: int) -> tuple[int, int]:
        noise, spans = _counts(n, noise_density, mean_span)
        return n - noise + spans + 1, noise + spans + 1

    n = inputs_length
    while lengths(n + 1)[0] <= inputs_length:
        n += 1
    return n, lengths(n)[1]


def _segment(rng: np.random.Generator, items: int, segments: int) -> np.ndarray:
    """Lengths of a uniformly random split of ``items`` into ``segments`` non-empty parts."""
    first = np.zeros(items, dtype=bool)
    first[1 + rng.choice(items - 1, segments - 1, replace=False)] = True
    return np.bincount(np.cumsum(first), minlength=segments)


def noise_mask(length: int, rng: np.random.Generator, noise_density: float = 0.15,
               mean_span: float = 3.0) -> np.ndarray:
    """T5's ``random_spans_noise_mask``: alternating kept/noise spans, starting with a kept one.

    ``round(length * density)`` noise tokens in ``round(noise / mean_span)`` spans (at least one). A sequence
    shorter than 2 tokens cannot hold both a kept and a noise token, so it gets an all-False mask.
    """
    _check(noise_density, mean_span)
    if length < 2:
        return np.zeros(max(length, 0), dtype=bool)
    noise, spans = _counts(length, noise_density, mean_span)
    kept_len, noise_len = _segment(rng, length - noise, spans), _segment(rng, noise, spans)
    starts = np.cumsum(np.stack([kept_len, noise_len], axis=1).ravel())[:-1]
    span_no = np.zeros(length, dtype=np.int64)
    span_no[starts] = 1
    return np.cumsum(span_no) % 2 == 1


def span_corrupt(tokens: np.ndarray, mask: np.ndarray, sentinel_ids: np.ndarray,
                 eos_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets): each noise span replaced by the next sentinel in the inputs; in the targets each
    span's sentinel followed by its tokens. Both end with ``eos_id``. Any mask works, not only `noise_mask`'s."""
    tokens, mask = np.asarray(tokens), np.asarray(mask, dtype=bool)
    sentinel_ids = np.asarray(sentinel_ids)
    if tokens.shape != mask.shape or tokens.ndim != 1:
        raise BBTError(f"tokens and mask must be 1-D and of one length, got shapes {tokens.shape} and {mask.shape}")
    starts = mask & ~np.concatenate([[False], mask[:-1]])
    n = int(starts.sum())
    if n > len(sentinel_ids):
        raise BBTError(f"{n} noise spans but only {len(sentinel_ids)} sentinel ids; lower the noise density, "
                       "raise the mean span length, or shorten the sequence")
    eos = np.array([eos_id], dtype=tokens.dtype)
    first = tokens.copy()
    first[starts] = sentinel_ids[:n]
    inputs = np.concatenate([first[~mask | starts], eos])
    targets = np.insert(tokens[mask], np.flatnonzero(starts[mask]), sentinel_ids[:n].astype(tokens.dtype))
    return inputs, np.concatenate([targets, eos])


def reconstruct(inputs: np.ndarray, targets: np.ndarray, sentinel_ids: np.ndarray, eos_id: int) -> np.ndarray:
    """The original tokens from `span_corrupt`'s output (a check for tests and debugging, not a hot path)."""
    inputs, targets = (np.asarray(a)[:-1] if len(a) and a[-1] == eos_id else np.asarray(a) for a in (inputs, targets))
    is_sent = np.isin(targets, sentinel_ids)
    if len(targets) and not is_sent[0]:
        raise BBTError("targets must start with a sentinel")
    spans = {int(seg[0]): seg[1:] for seg in np.split(targets, np.flatnonzero(is_sent)) if len(seg)}
    parts = []
    for seg in np.split(inputs, np.flatnonzero(np.isin(inputs, sentinel_ids))):
        if len(seg) and int(seg[0]) in spans:
            parts += [spans[int(seg[0])], seg[1:]]
        else:
            parts.append(seg)
    return np.concatenate(parts) if parts else inputs


def sentinel_ids(tok, n: int = 100) -> np.ndarray:
    """Ids of ``<extra_id_0>`` ... ``<extra_id_{n-1}>`` in a ``transformers`` T5-style tokenizer."""
    vocab = tok.get_vocab()
    names = [f"<extra_id_{i}>" for i in range(n)]
    missing = next((s for s in names if s not in vocab), None)
    if missing is not None:
        raise BBTError(f"the tokenizer has no sentinel token {missing}; span corruption needs {n} sentinels "
                       "<extra_id_0>..., as in T5 (train one with `bbt tokenizer train`)")
    return np.asarray(tok.convert_tokens_to_ids(names), dtype=np.int64)


def corrupt_sequence(tokens: np.ndarray, rng: np.random.Generator, sentinels: np.ndarray, eos_id: int,
                     noise_density: float = 0.15, mean_span: float = 3.0,
                     first_sentinel: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`noise_mask` + `span_corrupt`; ``first_sentinel`` skips sentinels a caller keeps for itself."""
    tokens = np.asarray(tokens)
    mask = noise_mask(len(tokens), rng, noise_density, mean_span)
    return span_corrupt(tokens, mask, np.asarray(sentinels)[first_sentinel:], eos_id)
