"""Classical FinCUGE baselines: what a cheap model gets on each task, for every leaderboard to show.

Trained on each task's train list only; features are character n-gram TF-IDF or hand-made sparse features,
models are linear (scikit-learn), words come from jieba. Per task:

- finfe, finne: TF-IDF (char 1-3) + LinearSVC, C by 3-fold CV on train (`classify.LabelModel`);
- finnl: one-vs-rest LinearSVC, threshold on a train-internal split, best label always kept (`MultiLabelModel`);
- finre: the text with head/tail replaced by ◆/◇, the stretch between them, and the pair (`RelationModel`);
- finnsp: negative-news text classifier + per-candidate-entity classifier on context windows and flags such as
  "part of a longer candidate" (`negative.NegativeModel`);
- finese: candidate spans (jieba word runs, organisation-name regexes, quotes, a lexicon of train subjects)
  ranked by a linear model conditioned on the event type, with a NONE option (`spans.SubjectModel`);
- finqa, fincqa: question templates; span questions use the same ranker keyed by the asked role and anchored
  on the question's entity, whole-text questions a text classifier per template (`qa.QAModel`);
- finna: Lead (the opening, cut to the mean train summary length) (`summary.LeadModel`);
- finner: a linear-chain CRF over character features with BIO tags (`ner_crf.CRFModel`, CRFsuite).

`train_baselines(data_dir, out_dir)` saves one joblib file per task and a manifest; `load_baseline(dir)`
returns a `Baseline` whose `predict_texts(task, examples)` gives target-format texts for the harness.
"""

from bbt.classical.store import Baseline, load_baseline, make_model, score_outputs, train_baselines

__all__ = ["Baseline", "load_baseline", "make_model", "score_outputs", "train_baselines"]
