"""The classification fast path batches prompts by length; the answers equal one padded batch's, in input order."""

import torch

from bbt.model.config import preset_config
from bbt.model.inference import BBTGenerator
from bbt.model.modeling import BBTModel
from bbt.text.tokenizer import load_tokenizer


def test_length_chunks_give_the_answers_of_one_padded_batch(tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    torch.manual_seed(0)
    model = BBTModel(preset_config("tiny", len(tok), cls_heads={"finfe": ["消极", "中性", "积极"]}))
    g = BBTGenerator(model, tok, max_input_len=128)
    prompts = ["跌停了", "公司发布公告称，2019年实现营业收入888.54亿元，同比增长15.10%，净利润412.06亿元。" * 3,
               "今天涨了", "中性", "看不懂这只股票的走势，明天再看吧，主力在洗盘吗？"] * 7
    chunks = g._length_chunks(prompts, max_tokens=64)
    assert len(chunks) > 2 and sorted(i for rows, _ in chunks for i in rows) == list(range(len(prompts)))
    labels, probs = g.label_probs("finfe", prompts)
    with torch.inference_mode():
        h, m, _ = model.encode(**g._encode(prompts))
        one = torch.softmax(model.classify("finfe", h, m).float(), -1)
    torch.testing.assert_close(probs, one, atol=1e-5, rtol=1e-4)
    assert g.classify("finfe", prompts) == [labels[i] for i in one.argmax(-1).tolist()]
