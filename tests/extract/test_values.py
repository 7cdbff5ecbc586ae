"""parse_values: typed amounts, share counts, percentages and dates, checked by hand on real sentences.

`HAND_CHECKED` is a small evaluation set: real sentences from the shared data (finqa / finnsp train texts and
the news crawl; a test below checks that each one is really there) with every value written out by hand as
(kind, value[, unit][, max]). Amounts are in the currency's base unit, shares a count, percentages in percent,
dates ISO ("MM-DD" when the sentence gives no year before them).
"""

from __future__ import annotations

import glob
import json
import re

import pytest

from bbt.extract.values import cn_number, parse_values

A, S, P, D = "amount", "shares", "percent", "date"

HAND_CHECKED: list[tuple[str, list[tuple]]] = [
    ("公司控股股东正海集团于2020年6月22日质押3600万股，占其所持股份比例约为8.59%。",
     [(D, "2020-06-22"), (S, 36_000_000), (P, 8.59)]),
    ("毕于东本次解除质押股份数量为240万股，占其所持股份比例52.03%，占公司总股本比例1.26%，质押起始日为2019年5月7日，"
     "解除日期为2020年5月7日。",
     [(S, 2_400_000), (P, 52.03), (P, 1.26), (D, "2019-05-07"), (D, "2020-05-07")]),
    ("原标题：维业股份(11.000,-0.50,-4.35%)：中标7465万元工程项目", [(A, 74_650_000, "CNY")]),
    ("其所持有上市公司股份累计被质押的数量为62,017,020股，占其持有公司股份总数的50.11%，占公司总股本的5.53%。",
     [(S, 62_017_020), (P, 50.11), (P, 5.53)]),
    ("巨星医疗控股(1.48,-0.02,-1.33%)（02393.HK）公布，2019年9月20日，公司按每股1.48-1.50港元，耗资5.6万港元回购3.75万股。",
     [(D, "2019-09-20"), (A, 1.48, "HKD", 1.50), (A, 56_000, "HKD"), (S, 37_500)]),
    ("中粮包装(2.99,-0.01,-0.33%)（00906）公布，2019年7月4日以每股2.99-3港元回购55.9万股，耗资约167.34万港元。",
     [(D, "2019-07-04"), (A, 2.99, "HKD", 3.0), (S, 559_000), (A, 1_673_400, "HKD")]),
    ("鲁银投资(600784)8日晚间公告称，6月11日至9月8日，公司减持万润股份(002643)800.31万股，减持均价18.61元/股。",
     [(D, "06-11"), (D, "09-08"), (S, 8_003_100), (A, 18.61, "CNY")]),
    ("原标题：福星股份(000926.SZ)回购计划完成 累计耗资2.05亿元回购3.57%股份", [(A, 205_000_000, "CNY"), (P, 3.57)]),
    ("中国网财经8月27日讯 今日下午，ST威龙(603779.SH)发布2020年半年度报告，实现营业收入1.68亿元，同比减少54.12%；"
     "归属于上市公司股东的净亏损1.38亿元，去年同期则为净利润2128.68万元；归属于上市公司股东的扣除非经常性损益的净亏损"
     "9128.45万元，去年同期则为净利润2365.05万元。",
     [(D, "08-27"), (A, 168_000_000, "CNY"), (P, 54.12), (A, 138_000_000, "CNY"), (A, 21_286_800, "CNY"),
      (A, 91_284_500, "CNY"), (A, 23_650_500, "CNY")]),
    ("本次解除质押后，东盛集团剩余累计质押公司股份6798.4万股，占其直接持有公司股份总数的93.30%，占公司总股本的13.82%。",
     [(S, 67_984_000), (P, 93.30), (P, 13.82)]),
    ("格隆汇 9 月 2日丨万通发展(600246.SH)公布，截至2020年8月31日，公司已累计回购股份5404.514万股，占公司总股本的比例为"
     "2.6312%，已支付的总金额为约3.95亿元(不含印花税、佣金等交易费用)。",
     [(D, "09-02"), (D, "2020-08-31"), (S, 54_045_140), (P, 2.6312), (A, 395_000_000, "CNY")]),
    ("原标题：海航投资(3.040,-0.01,-0.33%)：以1.12亿元收购海投一号9.78%合伙份额", [(A, 112_000_000, "CNY"), (P, 9.78)]),
    ("*ST大控9月11日晚发布公告称，公司董事长林大光拟自9月12日起的6个月内增持不少于5000万元，不超过2亿元。",
     [(D, "09-11"), (D, "09-12"), (A, 50_000_000, "CNY"), (A, 200_000_000, "CNY")]),
    ("龙元建设12月2日晚公告，公司近日收到中标通知书，成为宁波杭州湾新区海悦健康产业发展有限公司开发的杭湾健康服务中心项目"
     "（施工）的中标人，中标金额4.28亿元，工期720天。",
     [(D, "12-02"), (A, 428_000_000, "CNY")]),
    ("香港建设（00190-HK）公布，于2020年7月3日回购8000股，占有关发行前现有股份0.002%，每股回购价4.87港元，涉资3.896万港元。",
     [(D, "2020-07-03"), (S, 8000), (P, 0.002), (A, 4.87, "HKD"), (A, 38_960, "HKD")]),
    ("截至目前，宋都控股共计持有公司469,144,518股，（均为无限售条件流通股），占公司总股份的35.01%，此次办理解除质押后，"
     "已质押股份为71,000,000股，占其所持股份比例15.13%，占公司总股本比例5.30%。",
     [(S, 469_144_518), (P, 35.01), (S, 71_000_000), (P, 15.13), (P, 5.30)]),
    ("每经AI快讯，华测检测（SZ 300012，收盘价：23.78元）7月22日晚间发布公告称，公司股东李丰勇减持计划实施完毕，期间减持公司"
     "股份约7.50万股，减持价格23.59元/股至23.82元/股，减持股份占公司总股份为0.0045%。",
     [(A, 23.78, "CNY"), (D, "07-22"), (S, 75_000), (A, 23.59, "CNY", 23.82), (P, 0.0045)]),
    ("减持后，Wellington Management Group LLP的最新持股数目为3,254,636,552股，持股比例由7.05%降至6.97%。",
     [(S, 3_254_636_552), (P, 7.05), (P, 6.97)]),
    ("原标题：保宝龙科技(01861-HK)回购4.8万股 涉资7.73万港元", [(S, 48_000), (A, 77_300, "HKD")]),
    ("智通财经APP获悉，根据联交所最新权益披露资料显示，2020年4月23日，新秀丽(01910)获美国资本集团增持1528.5万股，"
     "在场内以每股均价6.5241港元，涉资约9972.09万港元。",
     [(D, "2020-04-23"), (S, 15_285_000), (A, 6.5241, "HKD"), (A, 99_720_900, "HKD")]),
    ("格隆汇 8 月 6日丨威星智能(002849,股吧)(002849.SZ)公布，完成回购注销部分限制性股票，本次回购注销的限制性股票数量"
     "66,000股，占回购前公司总股本132,515,050股的0.0498%；回购价格为7.52元/股。",
     [(D, "08-06"), (S, 66_000), (S, 132_515_050), (P, 0.0498), (A, 7.52, "CNY")]),
    ("塔牌集团公告，公司决定使用自有资金以集中竞价的方式回购公司部分股份，本次回购股份资金总额为不超过4亿元（含）且不少于"
     "2亿元（含），回购价格不超过14.5元/股，回购的期限为自董事会审议通过回购方案之日起12个月内。",
     [(A, 400_000_000, "CNY"), (A, 200_000_000, "CNY"), (A, 14.5, "CNY")]),
    ("光明乳业公告称，2019年12月23日至2019年12月24日，光明乳业股份有限公司参与竞拍辉山乳业发展（江苏）有限公司及辉山牧业"
     "发展（江苏）有限公司相关资产，并最终以人民币75,061万元的成交价格中标。",
     [(D, "2019-12-23"), (D, "2019-12-24"), (A, 750_610_000, "CNY")]),
    ("棕榈股份公告，公司于2020年9月9日收到“潢川县潢河生态综合治理工程(一期)项目”的《中标通知书》，中标价约为8.72亿元，"
     "占公司2019年度经审计营业收入的32.18%；计划工期为33个月。",
     [(D, "2020-09-09"), (A, 872_000_000, "CNY"), (P, 32.18)]),
    ("2019年上半年，哈高科实现营业收入2.56亿元，同比增长266.76%；实现归属于上市公司股东的净亏损284.58万元，同比减亏"
     "995.72万元。",
     [(A, 256_000_000, "CNY"), (P, 266.76), (A, 2_845_800, "CNY"), (A, 9_957_200, "CNY")]),
    ("天富能源晚间发布2019年年度报告显示，公司实现营业收入48.94亿元，同比下降1.24%；实现归属于上市公司股东的净利润亏损"
     "4.13亿元，上年同期盈利4954.35万元。",
     [(A, 4_894_000_000, "CNY"), (P, 1.24), (A, 413_000_000, "CNY"), (A, 49_543_500, "CNY")]),
    ("该提议称，拟以公司现有总股本作为基数，向全体股东每10股派发现金红利1.00元(含税)，共计拟分配现金红利2750.34万元。",
     [(A, 1.0, "CNY"), (A, 27_503_400, "CNY")]),
    ("截至公告日，公司控股股东、实际控制人及其一致行动人(含李介平及瑞展实业)共持有公司1.50076亿股，占公司总股本的39.64%，"
     "累计质押3440万股，占其持有公司股份总数的22.92%，占公司总股本9.09%。",
     [(S, 150_076_000), (P, 39.64), (S, 34_400_000), (P, 22.92), (P, 9.09)]),
    ("证券时报e公司讯，港交所31日披露，中国平安29日买入工商银行H股1.11亿股，成交价格5.54港元/股。",
     [(S, 111_000_000), (A, 5.54, "HKD")]),
    ("据万科公开披露的信息测算，截至2016年7月15日，宝能的九个资管计划累计购入了11.42亿股的万科股份，共计耗资215.7亿元。",
     [(D, "2016-07-15"), (S, 1_142_000_000), (A, 21_570_000_000, "CNY")]),
    ("上月，负责监督两间公司的美国联邦住房金融局（FHFA）公布，计划将房利美和房贷美私有化，最快安排明年上市，集资额高达"
     "2000亿美元（1.56万亿港元）。",
     [(A, 200_000_000_000, "USD"), (A, 1_560_000_000_000, "HKD")]),
    ("加上2018年初的5500万美元融资，诺诚健华已累计融资约2.15亿美元。", [(A, 55_000_000, "USD"), (A, 215_000_000, "USD")]),
    ("3月钯金期货涨11.40美元，或1.1%，收于1094.75美元/盎司。", [(A, 11.40, "USD"), (P, 1.1), (A, 1094.75, "USD")]),
    ("※ 金鹰商贸集团（03308．通）：截至2018年1月12日，公司近期陆续回购股份共计8.3万股，占总股本的0.005%，涉及金额"
     "80.64万港币，回购价格在9.59-9.9元港币之间。",
     [(D, "2018-01-12"), (S, 83_000), (P, 0.005), (A, 806_400, "HKD"), (A, 9.59, "HKD", 9.9)]),
    ("蜂投网客服来电表示，要求出借人用出借款的百分之七十兑换酒，剩下百分之三十则可以排队兑付下车。", [(P, 70), (P, 30)]),
    ("上半年中长期贷款增加6.2万亿元，同比基本持平，占同期贷款增量的64.2%。", [(A, 6_200_000_000_000, "CNY"), (P, 64.2)]),
    ("26日晚间，公司发布公告称，基于对公司业绩及创新发展的信心，以及对公司价值的长期认可，控股股东联美集团当日增持了"
     "58.65万股，增持资金1416.9万元。",
     [(S, 586_500), (A, 14_169_000, "CNY")]),
    ("2017年三季报显示，该公司前三季度公司亏损2270万元，同时预计全年亏损2000万元至3500万元。",
     [(A, 22_700_000, "CNY"), (A, 20_000_000, "CNY", 35_000_000)]),
    ("晨鸣纸业(01812)发布公告，2019年9月24日，公司接到股东晨鸣控股有限公司关于股份解除质押的通知，此次解除质押3767万股A股，"
     "占其所持股份比例4.65%。",
     [(D, "2019-09-24"), (S, 37_670_000), (P, 4.65)]),
    ("原标题：华创阳安(13.470,0.35,2.67%)(600155.SH)拟回购3亿元至6亿元股份 回购价不超15.26元/股",
     [(A, 300_000_000, "CNY", 600_000_000), (A, 15.26, "CNY")]),
    ("赛轮金宇：副董事长拟增持1000万股至2000万股", [(S, 10_000_000, "股", 20_000_000)]),
    ("2017年6月，深圳机场签订了首份进境免税店租赁合同，租赁总面积377平米，租赁期3年，延期最长不超过2年。", [(D, "2017-06")]),
    ("此外，中国三江化工7月22日还获控股股东管建忠增持151.3万股，增持事项完成后管建忠持有5.109亿股公司股份，相当于公司"
     "已发行股本约42.94%。",
     [(D, "07-22"), (S, 1_513_000), (S, 510_900_000), (P, 42.94)]),
    ("智通财经APP讯，长城汇理(08315)发布公告，截至2020年9月30日止6个月中期，该公司实现收入2995.5万港元，同比增加360.07%，"
     "股东应占亏损664.9万港元，同比收窄73.84%，基本每股亏损0.51港仙。",
     [(D, "2020-09-30"), (A, 29_955_000, "HKD"), (P, 360.07), (A, 6_649_000, "HKD"), (P, 73.84), (A, 0.0051, "HKD")]),
]


def _expected(row: tuple) -> dict:
    kind, value, *rest = row
    out = {"kind": kind, "value": value}
    if rest:
        out["unit"] = rest[0]
    if len(rest) > 1:
        out["max"] = rest[1]
    return out


def _got(v: dict, want: dict) -> dict:
    return {k: v.get(k) for k in want}


def _same(a: dict, b: dict) -> bool:
    return all(a[k] == pytest.approx(b[k], rel=1e-9) if isinstance(b[k], (int, float)) else a[k] == b[k]
               for k in b)


@pytest.mark.parametrize("sentence,values", HAND_CHECKED, ids=[f"s{i:02d}" for i in range(len(HAND_CHECKED))])
def test_hand_checked_sentence(sentence, values):
    got = parse_values(sentence)
    want = [_expected(r) for r in values]
    assert len(got) == len(want), [(v["kind"], v["text"]) for v in got]
    for g, w in zip(got, want):
        assert _same(_got(g, w), w), (g, w)


def test_hand_checked_score():
    """The whole set as one number: every value right (kind, value, unit, range) and nothing extra."""
    tp = n_got = n_want = 0
    for sentence, values in HAND_CHECKED:
        got, want = parse_values(sentence), [_expected(r) for r in values]
        n_got, n_want = n_got + len(got), n_want + len(want)
        pool = list(got)
        for w in want:
            hit = next((g for g in pool if g["kind"] == w["kind"] and _same(_got(g, w), w)), None)
            if hit:
                tp += 1
                pool.remove(hit)
    assert len(HAND_CHECKED) >= 40 and n_want >= 140
    assert tp == n_want == n_got


def test_hand_checked_sentences_are_real(data_dir):
    """Each sentence occurs (whitespace aside) in the shared data: finqa / finnsp train texts or the news crawl."""
    def squash(s: str) -> str:
        return re.sub(r"\s+", "", s)

    texts = [q for q, _ in json.loads((data_dir / "fincuge/finqa/train_list.json").read_text("utf-8"))]
    texts += [r[2] for r in json.loads((data_dir / "fincuge/finnsp/train_list.json").read_text("utf-8"))]
    for f in glob.glob(str(data_dir / "text/news_crawl/*.jsonl")):
        with open(f, encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh]
    corpus = "\n".join(squash(t) for t in texts)
    missing = [s[:30] for s, _ in HAND_CHECKED if squash(s) not in corpus]
    assert not missing


def test_offsets_and_text_point_into_the_input():
    s = "拟以1.2亿元收购，回购1050.3万股，占3.00%"
    got = parse_values(s)
    assert [(v["kind"], v["text"]) for v in got] == [("amount", "1.2亿元"), ("shares", "1050.3万股"),
                                                     ("percent", "3.00%")]
    assert got[0]["value"] == 120_000_000.0 and got[0]["unit"] == "CNY"
    assert got[1]["value"] == 10_503_000.0 and got[1]["unit"] == "股"
    assert got[2]["value"] == 3.0 and got[2]["unit"] == "%"
    assert all(s[v["start"]:v["end"]] == v["text"] for v in got)
    json.dumps(got, ensure_ascii=False)  # plain JSON values only


def test_mixed_magnitudes_qualifiers_and_full_width():
    got = parse_values("约１亿2000万元，不超过５％，二〇不算")
    assert got[0]["value"] == 120_000_000.0 and got[0]["qualifier"] == "约" and got[0]["text"] == "１亿2000万元"
    assert got[1]["kind"] == "percent" and got[1]["value"] == 5.0 and got[1]["qualifier"] == "不超过"
    assert len(got) == 2


def test_dates_take_the_year_of_an_earlier_full_date():
    got = parse_values("公司于2019年8月20日公告，8月22日完成。")
    assert [v["value"] for v in got] == ["2019-08-20", "2019-08-22"]
    assert got[1]["year_inferred"] is True and "year_inferred" not in got[0]
    assert parse_values("8月22日完成")[0]["value"] == "08-22"
    assert parse_values("8月22日完成", default_year=2020)[0]["value"] == "2020-08-22"
    assert [v["value"] for v in parse_values("2019-08-20 与 2019/8/2")] == ["2019-08-20", "2019-08-02"]
    assert parse_values("2月30日") == []  # no such day


def test_percentage_points_bare_money_and_quote_boxes():
    got = parse_values("毛利率下降0.5个百分点，耗资2亿，和佳医疗(7.550,-0.21,-2.71%)")
    assert [(v["kind"], v["value"], v["unit"]) for v in got] == [("percent", 0.5, "百分点"),
                                                                 ("amount", 200_000_000.0, None)]
    assert parse_values("2亿账户信息被盗") == []  # no currency, no money word: not an amount


def test_cn_number():
    assert cn_number("三") == 3 and cn_number("十五") == 15 and cn_number("三点五") == 3.5
    assert cn_number("一百") == 100 and cn_number("二十三") == 23 and cn_number("abc") is None
    assert parse_values("百分之十几") == []


def test_empty_and_plain_text():
    assert parse_values("") == [] and parse_values("没有数字的句子") == []
