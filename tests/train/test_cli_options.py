"""`bbt finetune` / `bbt pretrain` options are generated from their config fields (bbt.cli.options.config_options)."""

import dataclasses

from typer.testing import CliRunner

from bbt.cli.main import app
from bbt.pretrain import loop
from bbt.pretrain.loop import PretrainConfig
from bbt.train import finetune as ft
from bbt.train.finetune import FinetuneConfig


def test_finetune_options_build_the_config(monkeypatch, tmp_path):
    seen = {}

    def fake(cfg, data_dir, out, resume=False, console=None):
        seen.update(cfg=cfg, resume=resume)
        return {"best_eval_average": float("-inf"), "best_step": 0, "steps": 0, "seconds": 0.0}

    monkeypatch.setattr(ft, "finetune", fake)
    r = CliRunner().invoke(app, ["finetune", "--out", str(tmp_path / "o"), "--data-dir", str(tmp_path), "--tasks",
                                 "finfe, finre", "--no-cls-heads", "--time-budget", "5", "--warmup-steps", "3",
                                 "--mix-cap", "10", "--resume"])
    assert r.exit_code == 0, r.output
    assert seen == {"cfg": FinetuneConfig(tasks=("finfe", "finre"), cls_heads=False, time_budget_s=5.0,
                                          warmup_steps=3, mix_cap=10), "resume": True}
    r = CliRunner().invoke(app, ["finetune", "--out", str(tmp_path / "o"), "--data-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert seen["cfg"] == FinetuneConfig() and seen["resume"] is False  # the CLI defaults are the config's


def test_pretrain_options_build_the_config(monkeypatch, tmp_path):
    seen = {}

    def fake(cfg, corpus, out, data_dir=None, resume=False, console=None):
        seen.update(cfg=cfg)
        return {"steps": 0, "tokens": 0, "seconds": 0.0}

    monkeypatch.setattr(loop, "pretrain", fake)
    base = ["pretrain", "--corpus", str(tmp_path), "--out", str(tmp_path / "o")]
    r = CliRunner().invoke(app, base)
    assert r.exit_code == 0, r.output
    assert seen["cfg"] == PretrainConfig(weights="size")
    for warmup in ("--warmup-steps", "--warmup"):  # --warmup: the option's name before it followed the field
        r = CliRunner().invoke(app, base + [warmup, "7", "--no-source-prompt", "--dropout", "0.1", "--lr", "1e-2"])
        assert r.exit_code == 0, r.output
        assert seen["cfg"] == PretrainConfig(weights="size", warmup_steps=7, source_prompt=False, dropout=0.1,
                                             lr=1e-2)


def test_every_config_field_is_an_option():
    for command, cfg, own in (("finetune", FinetuneConfig, {"tasks": "--tasks", "time_budget_s": "--time-budget"}),
                              ("pretrain", PretrainConfig, {"time_budget_s": "--time-budget",
                                                            "warmup_steps": "--warmup-steps", "stop_at": None})):
        r = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "300"})
        assert r.exit_code == 0, r.output
        for f in dataclasses.fields(cfg):
            name = own.get(f.name, "--" + f.name.replace("_", "-"))
            assert name is None or name in r.output, (command, name)
