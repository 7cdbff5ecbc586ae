"""The GPU check (scripts/gpu_check.sh): bf16 pre-training of a preset for a few hundred steps (tokens/s, peak
memory, model FLOPs utilisation), then a short fine-tune and evaluation, into one JSON file.

Only for a lent accelerator machine, never CI. MFU counts the dense matmul FLOPs of a T5 step as 6 x parameters x
tokens (encoder and decoder tokens; forward + backward), over the chip's bf16 dense peak (`peak_tflops`, H200:
989); the measured 8k x 8k bf16 matmul ceiling there is about 790 (the device notes), so MFU near 0.8 is the
most a step could reach.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bbt.results import write_json


def run(corpus: Path, tokenizer: Path, data_dir: Path, out: Path, preset: str = "base", pretrain_steps: int = 300,
        batch_size: int = 64, input_len: int = 256, finetune_steps: int = 300, eval_limit: int = 200,
        peak_tflops: float = 989.0) -> dict:
    import torch

    from bbt.pretrain.loop import PretrainConfig, pretrain
    from bbt.tasks.runner import evaluate
    from bbt.train.finetune import FinetuneConfig, _ModelBackend, finetune

    cuda = torch.cuda.is_available()
    work = out.parent / "gpu_check_runs"
    res: dict = {"device": torch.cuda.get_device_name(0) if cuda else "cpu", "torch": torch.__version__,
                 "preset": preset, "batch_size": batch_size, "input_len": input_len}
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    pcfg = PretrainConfig(preset=preset, tokenizer=str(tokenizer), steps=pretrain_steps, batch_size=batch_size,
                          input_len=input_len, warmup_steps=min(50, pretrain_steps // 4 or 1), log_every=10,
                          save_every=pretrain_steps, infill_rate=0.25)
    pres = pretrain(pcfg, corpus, work / "pretrain")
    log = [json.loads(line) for line in (work / "pretrain" / "log.jsonl").read_text().splitlines()]
    tps = [r["tokens_per_s"] for r in log if "tokens_per_s" in r][len(log) // 4:]  # after warm-up
    from bbt.model.modeling import load_model

    model, _, _ = load_model(work / "pretrain" / "final", with_tokenizer=False)
    n_params = model.num_parameters()
    tokens_per_s = sorted(tps)[len(tps) // 2] if tps else None
    res["pretrain"] = {"steps": pretrain_steps, "seconds": round(time.perf_counter() - t0, 1),
                       "parameters": n_params, "tokens_per_s_median": tokens_per_s,
                       "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
                       "mfu": round(6 * n_params * tokens_per_s / (peak_tflops * 1e12), 4) if tokens_per_s else None,
                       "peak_tflops_assumed": peak_tflops, "result": {k: v for k, v in pres.items() if k != "out"}}
    t1 = time.perf_counter()
    fcfg = FinetuneConfig(init=str(work / "pretrain" / "final"), steps=finetune_steps, batch_size=batch_size,
                          eval_every=0, save_every=finetune_steps, warmup_steps=min(50, finetune_steps // 4 or 1))
    fres = finetune(fcfg, data_dir, work / "finetune")
    from bbt.model.inference import load_generator

    gen = load_generator(work / "finetune" / "best", max_input_len=256)
    ev = evaluate(_ModelBackend(gen), "all", data_dir, batch_size=64, limit=eval_limit, progress=False)
    res["finetune"] = {"steps": fres["steps"], "seconds": round(time.perf_counter() - t1, 1),
                       "eval_limit": eval_limit, "eval_average": round(ev["average"], 2),
                       "eval_seconds": ev["seconds"], "tasks": {k: round(v["score"], 2) for k, v in ev["tasks"].items()}}
    write_json(out, res)
    return res
