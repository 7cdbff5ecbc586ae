"""The trained tokenizer: T5 ids, exact round trips on FinCUGE eval text, loading, newline mapping, errors."""

import json
import shutil

import pytest

from bbt.errors import BBTError
from bbt.text.corpus_text import fincuge_texts
from bbt.text.tokenizer import load_tokenizer, tokenizer_stats


def test_t5_special_ids_and_sentinels(tok):
    assert (tok.pad_token_id, tok.eos_token_id, tok.unk_token_id, tok.bos_token_id) == (0, 1, 2, None)
    assert len(tok) == 2000 + 100
    assert tok.convert_tokens_to_ids("<extra_id_0>") == len(tok) - 1      # T5: sentinels reversed at the end
    assert tok.convert_tokens_to_ids("<extra_id_99>") == len(tok) - 100
    ids = tok("公司公告")["input_ids"]
    assert ids[-1] == tok.eos_token_id and tok.eos_token_id not in ids[:-1]
    masked = tok("<extra_id_0>公告<extra_id_1>")["input_ids"]
    assert masked[0] == len(tok) - 1 and len(tok) - 2 in masked
    assert tok.decode(masked, skip_special_tokens=True) == "公告"


def test_saved_files_and_same_ids_as_sentencepiece(trained_dir, tok, data_dir):
    import sentencepiece as spm

    names = {p.name for p in trained_dir.iterdir()}
    assert {"spiece.model", "tokenizer.json", "tokenizer_config.json", "bbt_text.json"} <= names
    sp = spm.SentencePieceProcessor(model_file=str(trained_dir / "spiece.model"))
    assert [sp.id_to_piece(i) for i in range(5)] == ["<pad>", "</s>", "<unk>", "[newline]", "[tab]"]
    texts = [t for t in fincuge_texts(data_dir, "eval", ["finnl", "finre"]) if "\n" not in t and "\t" not in t]
    hf = tok(texts, add_special_tokens=False)["input_ids"]
    assert hf == [sp.encode(t) for t in texts]  # the HF pipeline encodes exactly like SentencePiece


def test_exact_round_trip_on_fincuge_eval(tok, data_dir):
    # All text cells of all nine tasks' eval lists: no exceptions, not even for spaces, full-width
    # punctuation or newlines. Characters the small vocabulary lacks come back through byte fallback.
    s = tokenizer_stats(tok, fincuge_texts(data_dir, "eval"))
    assert s.texts > 10000 and s.roundtrip_failures == 0, s.failure_examples
    assert s.unk_tokens == 0 and s.byte_tokens > 0 and s.oov_chars > 0


@pytest.mark.parametrize("text", ["  两个空格  在 两端  ", "全角，（）：１２３ＡＢ", "a\r\nb\x0bc", "表情😀与罕见字𠀀",
                                  "\n开头换行", "结尾换行\n\n"])
def test_round_trip_odd_text(tok, text):
    assert tok.decode(tok(text)["input_ids"], skip_special_tokens=True) == text


def test_documented_round_trip_exceptions(tok):
    back = lambda t: tok.decode(tok(t)["input_ids"], skip_special_tokens=True)  # noqa: E731
    assert back("a▁b") == "a b"                 # the space marker decodes as a space
    assert back("见</s>前") == "见 前"           # special-token strings are tokens, skipped; the text after
    assert back("<extra_id_0>见") == "见"        # one gets its own "▁" prefix (T5), a space unless at the start
    assert back("字面[newline]") == "字面\n"     # the BBT-2 symbols decode as what they stand for


def test_newline_tokens_are_single_pieces(tok):
    ids = tok("第一行\n第二行\t完", add_special_tokens=False)["input_ids"]
    pieces = tok.convert_ids_to_tokens(ids)
    assert "[newline]" in pieces and "[tab]" in pieces
    assert tok.batch_decode([ids], skip_special_tokens=True) == ["第一行\n第二行\t完"]


def test_plain_transformers_loading(trained_dir, tok):
    from transformers import AutoTokenizer, T5Tokenizer

    text = "公司（代码：839288）公告\n次行𠀀"
    auto = AutoTokenizer.from_pretrained(str(trained_dir))  # tokenizer.json as saved: identical behaviour
    assert auto(text)["input_ids"] == tok(text)["input_ids"]
    assert auto.decode(auto(text)["input_ids"], skip_special_tokens=True) == text
    t5 = T5Tokenizer.from_pretrained(str(trained_dir))  # v5's T5 class: same ids, its own whitespace handling
    assert (t5.pad_token_id, t5.eos_token_id, t5.unk_token_id, len(t5)) == (0, 1, 2, len(tok))
    assert t5.convert_tokens_to_ids("<extra_id_0>") == len(tok) - 1
    assert t5("公司公告")["input_ids"] == tok("公司公告")["input_ids"]


def test_save_pretrained_keeps_the_mapping(tmp_path, tok):
    tok.save_pretrained(tmp_path)
    again = load_tokenizer(tmp_path)  # no bbt_text.json here: the mapping is in tokenizer.json
    assert again.decode(again("甲\n乙")["input_ids"], skip_special_tokens=True) == "甲\n乙"
    assert "[newline]" in again.convert_ids_to_tokens(again("甲\n乙")["input_ids"])


def test_newline_setting_detected_or_read(tmp_path, trained_dir):
    # A BBT-2 style T5Tokenizer checkpoint: [newline] in the vocabulary, no bbt_text.json, no mapping inside.
    from transformers import T5Tokenizer

    T5Tokenizer.from_pretrained(str(trained_dir)).save_pretrained(tmp_path / "t5")
    t5 = load_tokenizer(tmp_path / "t5")
    ids = t5("公司\n公告")["input_ids"]  # characters in the vocabulary: v5's T5 class has no byte fallback
    assert t5.convert_tokens_to_ids("[newline]") in ids
    assert t5.decode(ids, skip_special_tokens=True) == "公司\n公告"
    # spiece.model alone, with the setting switched off: a newline is a byte piece, still exact.
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(trained_dir / "spiece.model", bare)
    (bare / "bbt_text.json").write_text(json.dumps({"newline_tokens": False}))
    off = load_tokenizer(bare)
    ids = off("甲\n乙", add_special_tokens=False)["input_ids"]
    assert "<0x0A>" in off.convert_ids_to_tokens(ids) and off.decode(ids) == "甲\n乙"
    assert load_tokenizer(trained_dir / "spiece.model").convert_tokens_to_ids("[newline]") == 3


def test_load_errors(tmp_path):
    with pytest.raises(BBTError, match="not found"):
        load_tokenizer(tmp_path / "nope")
    (tmp_path / "bert").mkdir()
    (tmp_path / "bert" / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n的\n")
    with pytest.raises(BBTError, match=r"only vocab.txt, a BERT-style WordPiece.*spiece.model"):
        load_tokenizer(tmp_path / "bert")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BBTError, match="holds no tokenizer"):
        load_tokenizer(tmp_path / "empty")
