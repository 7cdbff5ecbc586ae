"""FinCUGE metrics on hand-computed cases (named test_fincuge_metrics: tests/ts/test_metrics.py exists and
pytest cannot import two rootless test modules of the same name)."""

import pytest

from bbt.errors import BBTError
from bbt.tasks import metrics as m


def test_accuracy():
    # 2 of 4 equal -> 50
    assert m.accuracy([0, 1, 2, 2], [0, 1, 1, 0]) == 50.0
    assert m.accuracy(["a"], ["a"]) == 100.0


def test_length_mismatch_and_empty_are_clear_errors():
    with pytest.raises(BBTError, match="2 predictions but 1 references"):
        m.accuracy([1, 2], [1])
    with pytest.raises(BBTError, match="no examples"):
        m.mean_char_f1([], [])


def test_micro_f1_sets_sums_counts_over_examples():
    preds = [{"a", "b"}, set(), {"c"}]
    refs = [{"a"}, {"b"}, {"c", "d"}]
    # tp: a, c = 2; fp: b = 1; fn: b, d = 2
    # precision 2/3, recall 2/4; f1 = 2*(2/3)*(1/2)/(2/3+1/2) = (2/3)/(7/6) = 4/7
    s = m.micro_f1_sets(preds, refs)
    assert s["precision"] == pytest.approx(200 / 3)
    assert s["recall"] == pytest.approx(50.0)
    assert s["f1"] == pytest.approx(400 / 7)


def test_micro_f1_sets_edge_cases():
    # Nothing predicted, something to find: precision 0/0 -> 0, recall 0/1 -> 0.
    assert m.micro_f1_sets([set()], [{"a"}]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    # Something predicted, nothing to find: precision 0/1, recall 0/0 -> 0.
    assert m.micro_f1_sets([{"a"}], [set()])["f1"] == 0.0
    # Empty everywhere: exactly right, defined as 100.
    assert m.micro_f1_sets([set(), set()], [set(), set()]) == {"precision": 100.0, "recall": 100.0, "f1": 100.0}
    # Lists work as well as sets; duplicates count once.
    assert m.micro_f1_sets([["a", "a"]], [["a"]])["f1"] == 100.0


def test_normalize_chars_drops_whitespace_and_punctuation():
    assert m.normalize_chars(" 华为，“5G”！\n(A-B) 《报告》、…—") == "华为5GAB报告"
    # ASCII symbols in string.punctuation and their full-width twins go; other symbols and digits stay.
    assert m.normalize_chars("1+1=2 ＋～％ ￥3℃") == "112￥3℃"
    assert m.normalize_chars("0.21%") == "021"


def test_char_f1_hand_computed():
    # pred 上海银行 (4 chars), ref 上海 (2): overlap 2; P = 2/4, R = 2/2; F1 = 2*0.5*1/1.5 = 2/3
    assert m.char_f1("上海银行", "上海") == pytest.approx(200 / 3)
    # Multiset: pred 哈哈哈 vs ref 哈哈: overlap min(3, 2) = 2; P 2/3, R 1 -> F1 = (4/3)/(5/3) = 4/5
    assert m.char_f1("哈哈哈", "哈哈") == pytest.approx(80.0)
    # Punctuation and spaces ignored.
    assert m.char_f1("“无参数”。", "无 参数") == 100.0
    assert m.char_f1("甲", "乙") == 0.0


def test_char_f1_empty_cases():
    assert m.char_f1("", "") == 100.0
    assert m.char_f1("，。", " ") == 100.0  # both empty after normalising
    assert m.char_f1("", "无") == 0.0
    assert m.char_f1("无", "") == 0.0


def test_mean_char_f1():
    # (100 + 0 + 200/3) / 3
    assert m.mean_char_f1(["无", "甲", "上海银行"], ["无", "乙", "上海"]) == pytest.approx((100 + 200 / 3) / 3)


def test_rouge_n_and_l_hand_computed():
    pred, ref = list("我爱北京"), list("我爱天津")
    # unigrams: overlap 我, 爱 = 2 of 4 each -> F1 50
    assert m.rouge_n(pred, ref, 1) == pytest.approx(50.0)
    # bigrams: 我爱 shared, 1 of 3 each -> F1 100/3
    assert m.rouge_n(pred, ref, 2) == pytest.approx(100 / 3)
    # LCS 我爱 = 2 of 4 -> 50
    assert m.rouge_l(pred, ref) == pytest.approx(50.0)


def test_rouge_l_is_a_subsequence_not_a_substring():
    # pred A B C D E, ref A X C Y E: LCS A C E = 3; P = R = 3/5 -> 60
    assert m.rouge_l(list("ABCDE"), list("AXCYE")) == pytest.approx(60.0)
    # Order matters: reversed sequence has LCS 1 -> P = R = 1/3
    assert m.rouge_l(list("abc"), list("cba")) == pytest.approx(100 / 3)


def test_rouge_clips_repeated_ngrams():
    # pred 的的的的 (4 unigrams) vs ref 的 (1): clipped overlap 1; P 1/4, R 1 -> F1 = 0.5/1.25 = 0.4
    assert m.rouge_n(list("的的的的"), ["的"], 1) == pytest.approx(40.0)
    # ref of one token has no bigram -> ROUGE-2 is 0 (as rouge-score defines it)
    assert m.rouge_n(["的"], ["的"], 2) == 0.0


def test_rouge_empty_is_zero():
    assert m.rouge_n([], list("ab"), 1) == 0.0
    assert m.rouge_l(list("ab"), []) == 0.0


def test_rouge_chars_averages_and_normalises():
    s = m.rouge_chars(["我爱北京。", "天 津"], ["我爱天津", "天津！"])
    # example 1 as above (50, 100/3, 50); example 2 identical after normalising (100, 100, 100)
    assert s["rouge1"] == pytest.approx(75.0)
    assert s["rouge2"] == pytest.approx((100 / 3 + 100) / 2)
    assert s["rougeL"] == pytest.approx(75.0)


def test_rouge_words_uses_jieba_words():
    # jieba: 我/爱/北京/天安门 vs 我/爱/北京: overlap 3; P 3/4, R 1 -> F1 = 1.5/1.75 = 6/7
    s = m.rouge_words(["我爱北京天安门。"], ["我爱北京"])
    assert s["rouge1"] == pytest.approx(600 / 7)
    # bigrams: 3 vs 2, overlap 2 (我爱, 爱北京); P 2/3, R 1 -> F1 = (4/3)/(5/3) = 4/5
    assert s["rouge2"] == pytest.approx(80.0)
    assert m.word_tokens("你好，世界！") == ["你好", "世界"]
