"""FinNER weak augmentation: gazetteer-labelled train-side texts typed like FinNER, kept apart from the eval list."""


def test_weak_rows_are_typed_train_side_texts_apart_from_the_eval_list(data_dir):
    from bbt.extract.finner import WINDOW, weak_examples
    from bbt.tasks import FINNER_TYPES, get_task

    train = get_task("finner").load(data_dir, "train", limit=500)
    rows, report = weak_examples(data_dir, train, 200)
    assert len(rows) == report["weak_rows"] == 200
    assert report["weak_entities"] == sum(len(r.fields["entities"]) for r in rows) > 200
    eval_texts = [e.fields["text"] for e in get_task("finner").load(data_dir, "eval")]
    for r in rows:
        t = r.fields["text"]
        assert all(typ in FINNER_TYPES and span in t for span, typ in r.fields["entities"])
        assert not any(t[i:i + WINDOW] in e for e in eval_texts[:50] for i in range(0, len(t) - WINDOW + 1, 7))
    from bbt.classical.ner_crf import train_names

    gold = train_names(train)  # a name FinNER's train labels type takes that type
    named = [(s, typ) for r in rows for s, typ in r.fields["entities"] if s in gold]
    assert named and all(gold[s] == typ for s, typ in named)
    assert {typ for r in rows for s, typ in r.fields["entities"] if s not in gold} <= {"公司", "人物", "其他机构"}
