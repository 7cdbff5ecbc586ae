"""The FinNER CRF's features: name-list marks, out-of-fold lexicons on train rows, jieba word positions, KG names."""

from bbt.classical.ner_crf import CRFModel, Lexicon, char_features, kg_names, word_positions
from bbt.tasks import Example, get_task


def test_lexicon_marks_the_longest_name_first_without_overlaps():
    lex = Lexicon({"中国": "国家/地区", "中国平安": "公司", "平安银行": "公司", "美": "国家/地区"})
    assert lex.marks("中国平安银行") == ["B-公司", "I-公司", "I-公司", "I-公司", "O", "O"]
    assert lex.marks("美国和中国") == ["O", "O", "O", "B-国家/地区", "I-国家/地区"]  # one-character names: not matched


def test_word_positions_cover_every_character():
    text = "贵州茅台发布年报，营收增长"
    pos = word_positions(text)
    assert len(pos) == len(text) and pos[0][0] in "BS" and all(p in "BMES" for p, _ in pos)


def _row(i: int, text: str, entities) -> Example:
    return Example(str(i), text, frozenset(entities), frozenset(entities), {"text": text, "entities": tuple(entities)})


def test_train_rows_see_the_lexicon_of_the_other_folds_only():
    rows = [_row(i, f"{name}发布公告", [(name, "公司")]) for i, name in enumerate(["甲乙公司", "丙丁集团"] * 5)]
    rows.append(_row(10, "戊己银行发布公告", [("戊己银行", "公司")]))  # a name of one row only
    model = CRFModel(max_iterations=3, words=False, lexicon=True).fit(rows)
    seen = model.train_features(rows)
    assert seen[0][0]["d"] == "B-公司" and seen[1][0]["d"] == "B-公司"  # names other folds hold too
    assert seen[10][0]["d"] == "O" and seen[10][0]["d-1"] == "^"  # its own name is not in the other folds
    assert model.features("戊己银行发布公告")[0]["d"] == "B-公司"  # a new text gets every train name
    feats = char_features("戊己银行发布公告", False, (("d", Lexicon({"甲乙公司": "公司"})),))
    assert feats[0]["d"] == "O"


def test_the_crf_with_words_and_lexicon_learns_finner(data_dir):
    task = get_task("finner")
    train, evals = task.load(data_dir, "train", limit=300), task.load(data_dir, "eval", limit=100)
    model = CRFModel(max_iterations=25, extra_names=kg_names(data_dir)).fit(train)
    out = model.predict(evals)
    score = task.score([task.parse(o, e) for o, e in zip(out, evals)], evals)["score"]
    assert score > 25, score  # 300 rows and 25 iterations; the full lists: results/finner_crf.md


def test_kg_names_are_typed_and_clean(data_dir):
    names = kg_names(data_dir)
    assert names and set(names.values()) <= {"公司", "人物", "行业/领域"}
    assert all(len(n) >= 2 and not any(c.isspace() for c in n) for n in names)
    assert kg_names(data_dir / "nowhere") == {}
