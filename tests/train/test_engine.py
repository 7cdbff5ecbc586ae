"""What the training loops share: the resume-time log trim and the optimiser check."""

import pytest

from bbt.errors import BBTError
from bbt.train.engine import check_optimizer, trim_log


def test_trim_log_keeps_steps_up_to_the_checkpoint_and_drops_a_torn_line(tmp_path):
    log = tmp_path / "log.jsonl"
    # a kill in the middle of a write leaves half a JSON line at the end
    log.write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "eval_average": 3.0}\n{"step": 3, "loss": 1.5}\n'
                   '\n{"step": 4, "lo', encoding="utf-8")
    trim_log(log, 2)
    assert log.read_text(encoding="utf-8") == '{"step": 1, "loss": 2.0}\n{"step": 2, "eval_average": 3.0}\n'
    trim_log(tmp_path / "missing.jsonl", 2)  # nothing to trim on a first resume without a log
    assert not (tmp_path / "missing.jsonl").exists()


def test_check_optimizer():
    check_optimizer("adafactor")
    with pytest.raises(BBTError, match="unknown optimizer 'sgd'; use adamw or adafactor"):
        check_optimizer("sgd")
