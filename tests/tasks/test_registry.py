"""Tasks are declared once, by name, with keyword fields; the registry refuses a second task of the same name."""

import dataclasses

import pytest

from bbt.errors import BBTError
from bbt.tasks import TASKS, LabelTask, get_task, register_task, select_tasks


def test_the_nine_fincuge_tasks_in_published_order_then_finner():
    assert list(TASKS) == ["finfe", "finne", "finnl", "finre", "finnsp", "finese", "finqa", "fincqa", "finna", "finner"]
    assert get_task(" FinRE ").metric == "micro_f1_no_unknown" and get_task("finfe").max_new_tokens == 4
    assert [t.name for t in select_tasks("finna,finfe,finna")] == ["finna", "finfe"]


def test_registering_a_name_twice_is_refused_and_unknown_names_are_listed():
    twin = dataclasses.replace(get_task("finfe"))
    with pytest.raises(ValueError, match="registered twice"):
        register_task(twin)
    with pytest.raises(BBTError, match="valid: finfe, finne"):
        get_task("finxx")


def test_a_new_task_of_a_known_kind_is_one_declaration(monkeypatch, tmp_path):
    monkeypatch.setattr("bbt.tasks.registry.TASKS", dict(TASKS))
    task = register_task(LabelTask(name="toy", title="toy", prompt="【玩具】", columns=("text", "label"),
                                   metric="accuracy", labels=("消极", "积极"), raw_labels={0: "消极", 1: "积极"}))
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "eval_list.json").write_text('[["很好", 1], ["很差", 0]]', encoding="utf-8")
    examples = get_task("toy").load(tmp_path, "eval")
    assert [e.target for e in examples] == ["积极", "消极"] and examples[0].input == "【玩具】很好"
    assert task.score([task.parse("积极", examples[0]), task.parse("我觉得积极", examples[1])], examples)["score"] == 50.0
