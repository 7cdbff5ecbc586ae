"""AnnouncementExtractor on real announcement sentences (finqa train texts, news crawl), checked by hand:
company (with stocks/stock_names.csv as the gazetteer), type, roles of the key fields, counterparties."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from bbt.errors import DataError
from bbt.extract.announcement import TYPES, AnnouncementExtractor, load_company_names


@pytest.fixture(scope="module")
def names(data_dir) -> dict[str, str]:
    df = pd.read_csv(data_dir / "stocks" / "stock_names.csv", dtype=str, encoding="utf-8-sig")
    return dict(zip(df["name"], df["code"]))


@pytest.fixture(scope="module")
def extractor(names) -> AnnouncementExtractor:
    return AnnouncementExtractor(names)


# (sentence, type, company code or None, {value text: role}, counterparties that must be found)
CASES: list[tuple[str, str, str | None, dict[str, str], list[str]]] = [
    ("每经AI快讯，卫星石化（SZ 002648，收盘价：12.98元）5月29日晚间发布公告称，公司控股股东卫星控股于2020年05月27日将原"
     "质押给中国民生银行(5.690,-0.07,-1.22%)股份有限公司嘉兴分行的公司股份8800万股解除质押，占其所持股份比例为20.70%。",
     "解除质押", "002648", {"8800万股": "解除质押股数", "20.70%": "占所持股份比例", "5月29日": "公告日期"},
     ["中国民生银行股份有限公司嘉兴分行"]),
    ("格隆汇 9 月 2日丨万通发展(600246.SH)公布，截至2020年8月31日，公司已累计回购股份5404.514万股，占公司总股本的比例为"
     "2.6312%，已支付的总金额为约3.95亿元(不含印花税、佣金等交易费用)。",
     "股份回购", "600246", {"5404.514万股": "回购股数", "2.6312%": "占总股本比例", "3.95亿元": "回购金额",
                         "2020年8月31日": "截至日期"}, []),
    ("龙元建设12月2日晚公告，公司近日收到中标通知书，成为宁波杭州湾新区海悦健康产业发展有限公司开发的杭湾健康服务中心项目"
     "（施工）的中标人，中标金额4.28亿元，工期720天。",
     "中标", "600491", {"4.28亿元": "中标金额", "12月2日": "公告日期"}, []),
    ("中粮包装(2.99,-0.01,-0.33%)（00906）公布，2019年7月4日以每股2.99-3港元回购55.9万股，耗资约167.34万港元。",
     "股份回购", "00906.HK", {"55.9万股": "回购股数", "167.34万港元": "回购金额", "2.99-3港元": "每股价格"}, []),
    ("公司控股股东正海集团于2020年6月22日质押3600万股，占其所持股份比例约为8.59%。",
     "股份质押", None, {"3600万股": "质押股数", "8.59%": "占所持股份比例", "2020年6月22日": "质押日期"}, []),
    ("鲁银投资(600784)8日晚间公告称，6月11日至9月8日，公司减持万润股份(002643)800.31万股，减持均价18.61元/股。",
     "减持", "600784", {"800.31万股": "减持股数", "18.61元/股": "每股价格", "9月8日": "结束日期"}, []),
    ("中证网讯（记者 宋维东）森远股份6月22日晚披露业绩预告，公司2020年上半年预计实现归属于上市公司股东的净利润3000万元至"
     "3500万元，上年同期亏损3246.13万元，同比扭亏为盈。",
     "业绩预告", "300210", {"3000万元至3500万元": "净利润", "3246.13万元": "净亏损", "6月22日": "公告日期"}, []),
    ("智通财经APP获悉，根据联交所最新权益披露资料显示，2020年4月23日，新秀丽(01910)获美国资本集团增持1528.5万股，"
     "在场内以每股均价6.5241港元，涉资约9972.09万港元。",
     "增持", "01910.HK", {"1528.5万股": "增持股数", "6.5241港元": "每股价格", "9972.09万港元": "增持金额"}, []),
    ("光明乳业公告称，2019年12月23日至2019年12月24日，光明乳业股份有限公司参与竞拍辉山乳业发展（江苏）有限公司及辉山牧业"
     "发展（江苏）有限公司相关资产，并最终以人民币75,061万元的成交价格中标。",
     "中标", "600597", {"2019年12月24日": "结束日期"}, []),
    ("2017年6月，深圳机场签订了首份进境免税店租赁合同，租赁总面积377平米，租赁期3年，延期最长不超过2年。",
     "签订合同", "000089", {}, []),
    ("塔牌集团公告，公司决定使用自有资金以集中竞价的方式回购公司部分股份，本次回购股份资金总额为不超过4亿元（含）且不少于"
     "2亿元（含），回购价格不超过14.5元/股，回购的期限为自董事会审议通过回购方案之日起12个月内。",
     "股份回购", "002233", {"14.5元/股": "每股价格", "4亿元": "回购金额"}, []),
    ("晨鸣纸业(01812)发布公告，2019年9月24日，公司接到股东晨鸣控股有限公司关于股份解除质押的通知，此次解除质押3767万股A股，"
     "占其所持股份比例4.65%。",
     "解除质押", "01812.HK", {"3767万股": "解除质押股数", "4.65%": "占所持股份比例"}, []),
    ("该提议称，拟以公司现有总股本作为基数，向全体股东每10股派发现金红利1.00元(含税)，共计拟分配现金红利2750.34万元。",
     "分红派息", None, {"2750.34万元": "分红金额"}, []),
    ("2019年上半年，哈高科实现营业收入2.56亿元，同比增长266.76%；实现归属于上市公司股东的净亏损284.58万元，同比减亏"
     "995.72万元。",
     "业绩报告", None, {"2.56亿元": "营业收入", "266.76%": "同比变动", "284.58万元": "净亏损"}, []),
    ("格隆汇7月2日丨贝达药业（300558.SZ）公布，公司今日接到股东宁波凯铭投资管理合伙企业（有限合伙）（“凯铭投资”）函告，"
     "获悉凯铭投资将其持有并质押给中国银河(12.400,-0.18,-1.43%)证券的470万股办理了解除质押，占其所持股份比例5.87%。",
     "解除质押", "300558", {"470万股": "解除质押股数", "5.87%": "占所持股份比例"}, ["中国银河证券"]),
    ("格隆汇 8 月 6日丨威星智能(002849,股吧)(002849.SZ)公布，完成回购注销部分限制性股票，本次回购注销的限制性股票数量"
     "66,000股，占回购前公司总股本132,515,050股的0.0498%；回购价格为7.52元/股。",
     "股份回购", "002849", {"132,515,050股": "总股本", "0.0498%": "占总股本比例", "7.52元/股": "每股价格"}, []),
    ("2016-2017年1月新增人民币存款（扣除非银同业存款）分别为22319亿元、13776亿元。", "其他", None, {}, []),
]


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_cases_are_real_sentences(data_dir):
    texts = [q for q, _ in json.loads((data_dir / "fincuge/finqa/train_list.json").read_text("utf-8"))]
    for f in sorted((data_dir / "text" / "news_crawl").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in f.read_text("utf-8").splitlines() if line.strip()]
    corpus = "\n".join(_squash(t) for t in texts)
    assert [s[:30] for s, *_ in CASES if _squash(s) not in corpus] == []


@pytest.mark.parametrize("sentence,ann_type,code,roles,parties", CASES, ids=[f"c{i:02d}" for i in range(len(CASES))])
def test_hand_checked_case(extractor, sentence, ann_type, code, roles, parties):
    got = extractor.predict([sentence])[0]
    assert got["type"] == ann_type, got["type_scores"]
    assert (got["company"] or {}).get("code") == code, got["company"]
    by_text = {f["text"]: f.get("role") for f in got["fields"]}
    assert {t: by_text.get(t) for t in roles} == roles
    assert set(parties) <= set(got["counterparties"]), got["counterparties"]


def test_output_is_plain_json_and_offsets_point_into_the_text(extractor):
    s = CASES[0][0]
    got = extractor.predict([s])[0]
    assert json.loads(json.dumps(got, ensure_ascii=False)) == got
    assert set(got) == {"company", "type", "type_scores", "fields", "counterparties"}
    assert got["company"] == {"name": "卫星化学", "code": "002648", "mention": "卫星石化"}  # renamed since
    for f in got["fields"]:
        assert s[f["start"]:f["end"]] == f["text"] and f["kind"] in ("amount", "shares", "percent", "date")
    amount = next(f for f in got["fields"] if f["text"] == "8800万股")
    assert amount["kind"] == "shares" and amount["value"] == 88_000_000.0


def test_company_from_a_code_without_a_gazetteer():
    ex = AnnouncementExtractor()
    assert ex.company("科远股份(002380)股东减持202万股套现5989万") == {"name": "科远股份", "code": "002380",
                                                                    "mention": "科远股份"}
    assert ex.company("公司公告，股票代码：600000，本次回购") == {"name": "", "code": "600000", "mention": ""}
    assert ex.company("没有公司的句子") is None


def test_known_code_names_the_company_and_unknown_numbers_do_not(extractor):
    got = extractor.company("公告称(600000)将回购，另有编号(699999)")
    assert got["code"] == "600000" and got["name"] == "浦发银行"


def test_real_texts_smoke(extractor, data_dir, names):
    """300 real finqa texts: no crash, types from the documented set, offsets right, codes from the gazetteer."""
    rows = json.loads((data_dir / "fincuge/finqa/train_list.json").read_text("utf-8"))
    texts = list(dict.fromkeys(q.partition("？")[2] for q, _ in rows))[:300]
    out = extractor.predict(texts)
    assert len(out) == len(texts)
    known = set(names.values())
    for t, o in zip(texts, out):
        assert o["type"] in TYPES
        assert all(t[f["start"]:f["end"]] == f["text"] for f in o["fields"])
        if o["company"] and o["company"]["code"] and not o["company"]["code"].endswith(".HK"):
            assert o["company"]["code"] in known
    assert sum(o["company"] is not None for o in out) > 200
    assert sum(o["type"] != "其他" for o in out) > 220
    json.dumps(out, ensure_ascii=False)


def test_save_and_load(extractor, tmp_path):
    path = extractor.save(tmp_path / "ann")
    assert path.name == "announcement.joblib" and [p.name for p in (tmp_path / "ann").iterdir()] == [path.name]
    loaded = AnnouncementExtractor.load(tmp_path / "ann")
    s = CASES[1][0]
    assert loaded.predict([s]) == extractor.predict([s])


def test_load_company_names(data_dir, names, tmp_path):
    assert load_company_names(data_dir / "stocks" / "stock_names.csv") == names
    bad = tmp_path / "names.csv"
    bad.write_text("ticker,title\n1,x\n", encoding="utf-8")
    with pytest.raises(DataError, match="names.csv.*code,name"):
        load_company_names(bad)


def test_cli_prints_json(data_dir):
    from typer.testing import CliRunner

    from bbt.cli.extract import extract_app

    res = CliRunner().invoke(extract_app, ["announcement", CASES[1][0], "--data-dir", str(data_dir)])
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    assert got["company"]["code"] == "600246" and got["type"] == "股份回购"
    res = CliRunner().invoke(extract_app, ["announcement", "-"], input="科远股份(002380)股东减持202万股")
    assert res.exit_code == 0 and json.loads(res.output)["type"] == "减持"


def test_measured_against_finqa_typed_answers(extractor, data_dir):
    from bbt.extract.announcement_eval import evaluate_announcements

    r = evaluate_announcements(data_dir, extractor, "eval")
    assert r["values"] >= 50 and r["typed_texts"] >= 10  # the published layout holds enough typed answers
    assert r["value_recall"] > 80 and r["type_accuracy"] > 50
    assert sum(n for _, n in r["by_kind"].values()) == r["values"]
