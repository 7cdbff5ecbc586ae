"""Multi-task text-to-text data for fine-tuning: tokenised FinCUGE examples and a capped size-proportional mixture.

Each optimiser step draws one task (probability proportional to min(rows, cap): T5's examples-proportional
mixing with a cap, so a 14k-row task does not drown a 1.7k-row one), then a batch of that task's rows. One task
per batch keeps the classification heads' losses simple and costs nothing in a text-to-text model.
Batches are length-bucketed: a random run of consecutive rows in the task's length-sorted order, so a batch pads
to a similar length (FinCUGE inputs run from 10 to 256 tokens; random batches padded ~3x the mean length).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from bbt.errors import BBTError
from bbt.train.batch import pad


@dataclass
class TaskData:
    name: str
    input_ids: list[list[int]]  # source prompt + input, truncated, ending in </s>
    labels: list[list[int]]  # target text, truncated, ending in </s>
    cls: list[int] | list[list[float]] | None  # label index (single-label head) or multi-hot (multi-label head)
    head: list[dict] | None = None  # per row: the task head's token-level inputs and targets (bbt.train.task_heads)
    head_inputs: tuple[str, ...] = ()  # which keys of `head` the head reads at inference too
    lexical: tuple[list[list[int]], list[list[float]]] | None = None  # per row: lexical feature ids, values
    lexical_pad: int = 0  # the lexical channel's padding index (its feature count)

    def __len__(self) -> int:
        return len(self.input_ids)

    def by_length(self) -> np.ndarray:
        """Row indices sorted by input length (stable), for length-bucketed batches."""
        return np.argsort([len(x) for x in self.input_ids], kind="stable")


def tokenize_task(tok, task, examples, max_input_len: int, head_labels: list[str] | None = None,
                  multilabel: bool = False, task_head: bool = False, lexical=None) -> TaskData:
    """`lexical`: the fitted LexicalFeatures when this task's head is fused with the lexical channel."""
    head, head_inputs = None, ()
    texts = [e.input for e in examples]
    if task_head:  # the head's adapter says what the encoder reads and what each token should predict
        from bbt.train.task_heads import adapter_for, encode

        adapter = adapter_for(task)
        texts = [adapter.text(task, e) for e in examples]
        enc = encode(tok, texts, max_input_len)
        inputs = enc.input_ids
        head = [adapter.token_targets(task, e, t, o) for e, t, o in zip(examples, texts, enc.offsets)]
        head_inputs = adapter.input_keys
    else:
        inputs = tok(texts, max_length=max_input_len, truncation=True)["input_ids"]
    lex = lexical.transform(texts) if lexical is not None else None
    targets = tok([e.target for e in examples], max_length=task.max_new_tokens, truncation=True)["input_ids"]
    cls = None
    if head_labels is not None:
        index = {label: i for i, label in enumerate(head_labels)}
        if multilabel:
            cls = []
            for e in examples:
                row = [0.0] * len(head_labels)
                for label in e.reference:
                    row[index[label]] = 1.0
                cls.append(row)
        else:
            missing = sorted({str(e.reference) for e in examples if e.reference not in index})
            if missing:
                raise BBTError(f"task {task.name}: gold labels {missing[:5]} are not among the head's labels")
            cls = [index[e.reference] for e in examples]
    return TaskData(task.name, inputs, targets, cls, head, head_inputs, lex,
                    lexical.n_features if lexical is not None else 0)


def collate(data: TaskData, idx: np.ndarray, pad_id: int) -> dict:
    ids = [data.input_ids[i] for i in idx]
    batch = {"input_ids": pad(ids, pad_id), "labels": pad([data.labels[i] for i in idx], -100), "task": data.name}
    batch["attention_mask"] = (batch["input_ids"] != pad_id).long()
    if data.cls is not None:
        rows = [data.cls[i] for i in idx]
        batch["cls_labels"] = torch.tensor(rows, dtype=torch.float if isinstance(rows[0], list) else torch.long)
    if data.head is not None:
        rows = [data.head[i] for i in idx]
        tensors = {}
        for key in rows[0]:
            values = [r[key] for r in rows]
            if isinstance(values[0], list):  # per token: padded like the input (0 = off / the O tag)
                floats = isinstance(values[0][0], float) if values[0] else False
                tensors[key] = pad_to(values, batch["input_ids"].shape[1], torch.float if floats else torch.long)
            else:
                tensors[key] = torch.tensor(values, dtype=torch.long)
        batch["head_inputs"] = {k: v for k, v in tensors.items() if k in data.head_inputs}
        batch["head_targets"] = {k: v for k, v in tensors.items() if k not in data.head_inputs}
    if data.lexical is not None:
        from bbt.model.lexical import pad_features

        batch["lexical"] = pad_features([data.lexical[0][i] for i in idx], [data.lexical[1][i] for i in idx],
                                        data.lexical_pad)
    return batch


def pad_to(rows: list[list], n: int, dtype) -> torch.Tensor:
    return torch.tensor([list(r) + [0] * (n - len(r)) for r in rows], dtype=dtype)


class TaskMixture:
    """Draws (task, batch of row indices); its state is one numpy Generator, saved for exact resume."""

    def __init__(self, tasks: list[TaskData], batch_size: int, cap: int, seed: int):
        if not tasks:
            raise BBTError("no training data: every selected task is empty")
        self.tasks, self.batch_size = tasks, batch_size
        sizes = np.array([min(len(t), cap) for t in tasks], dtype=float)
        self.weights = sizes / sizes.sum()
        self.orders = [t.by_length() for t in tasks]
        self.rng = np.random.default_rng(seed)

    def sample(self) -> tuple[TaskData, np.ndarray]:
        k = self.rng.choice(len(self.tasks), p=self.weights)
        t, order = self.tasks[k], self.orders[k]
        n = min(self.batch_size, len(t))
        start = self.rng.integers(0, len(t) - n + 1)
        return t, order[start : start + n]

    def state(self) -> dict:
        return self.rng.bit_generator.state

    def load_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state
