"""Text side: SentencePiece tokenizers in T5 conventions (bbt.text.tokenizer) and their corpora
(bbt.text.corpus_text)."""

from bbt.text.corpus_text import (CorpusSource, fincuge_texts, iter_documents, shared_corpus_sources,
                                  training_lines)
from bbt.text.tokenizer import (TokenizerStats, TokenizerTrainConfig, TrainResult, build_t5_tokenizer,
                                install_newline_mapping, load_tokenizer, tokenizer_stats, train_tokenizer)

__all__ = ["CorpusSource", "TokenizerStats", "TokenizerTrainConfig", "TrainResult", "build_t5_tokenizer",
           "fincuge_texts", "install_newline_mapping", "iter_documents", "load_tokenizer", "shared_corpus_sources",
           "tokenizer_stats", "train_tokenizer", "training_lines"]
