"""Listed-company announcements: the company, the announcement type, typed key fields and counterparties.

Rules, no training: announcements are formulaic ("控股股东…将其持有的590万股解除质押，占其所持股份比例4.94%"),
and every rule below can be read and fixed by hand.

- company: mentions of the caller's listed companies (`company_names`: name / short name -> 6-digit code, e.g.
  from the knowledge graph or stocks/stock_names.csv) and of stock codes in code context ("(002380)",
  "002745.SZ", "SZ 300273", "股票代码：600000", HK codes "(00906)" -> "00906.HK"). The most frequent company
  wins; the first mention counts 1.5 and one with its code beside it 1 more (an announcement names its issuer
  first, often with the code). Without a gazetteer the name is the word glued to the code.
- type: one of `TYPES`, from weighted keyword rules (`_TYPE_RULES`); the headline (up to the first 。 or line
  break, or the "原标题：" line) counts double; under `MIN_TYPE_SCORE` the type is 其他.
- fields: `parse_values` with a `role` from the words just before the value within its clause (the cue nearest
  the value wins), or for dates also the words just after ("5月29日晚间发布公告" -> 公告日期). Spending cues
  that fit any type (耗资, 金额 ...) take the announcement type's role (股份回购 -> 回购金额).
- counterparties: organisation names (ending in 公司, 集团, 银行, 证券, ...) right after a cue such as 与, 向,
  质押给, 收购, 中标 ...; the announcing company itself is left out.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

from bbt.extract.values import _QUOTE_BOX, parse_values

TYPES = ("股份质押", "解除质押", "股份回购", "增持", "减持", "中标", "签订合同", "对外投资/收购", "业绩预告",
         "业绩报告", "分红派息", "高管变动", "诉讼仲裁", "停复牌", "担保", "融资/上市", "其他")
MIN_TYPE_SCORE = 2.0

# (type, pattern, weight). Overlaps are handled in the patterns: 质押 not inside 解除质押 / 质押式回购.
_TYPE_RULES: list[tuple[str, str, float]] = [
    # a release names the earlier pledge too ("将原质押给…的股份解除质押"): 解除质押 outweighs those mentions
    ("股份质押", r"(?<![解原])质押(?!式|解除|延期购回)", 1.0),
    ("股份质押", r"办理了?(?:股份|股票)?质押(?!解除)|股权质押|补充质押|质押延期", 1.0),
    ("解除质押", r"解除质押|解押|质押解除|质押.{0,6}购回", 4.0),
    ("股份回购", r"(?<!质押式)回购(?!注销)", 2.0),
    ("股份回购", r"回购注销|回购股份|回购方案|回购计划", 1.0),
    ("增持", r"增持", 2.0),
    ("减持", r"减持", 2.0),
    ("中标", r"中标|成交通知书|预中标|中选", 2.5),
    ("签订合同", r"签(?:订|署)[^，。；]{0,20}?(?:合同|协议|订单)|框架协议|战略合作协议|重大合同|日常经营合同", 2.5),
    ("对外投资/收购", r"收购|并购|对外投资|受让|股权转让|购买[^，。；]{0,12}股权|增资|设立[^，。；]{0,8}(?:子公司|公司|基金)"
                      r"|重大资产重组|吸收合并|出售资产|资产出售", 2.0),
    ("业绩预告", r"业绩预告|预计[^，。；]{0,30}(?:净利润|亏损|盈利)|预增|预减|扭亏为盈|业绩快报|首亏|续亏|略增|略减", 2.5),
    ("业绩报告", r"(?:年度|季度|半年度|中期)(?:报告|业绩)|营业(?:总)?收入|营收|净利润|净亏损|每股收益|每股亏损|同比增长", 1.0),
    ("分红派息", r"分红|派息|派发现金|现金红利|利润分配|股息|送股|转增|除权除息", 2.0),
    ("高管变动", r"辞职|辞去|离任|聘任|任命|选举[^，。；]{0,10}(?:董事长|总经理|董事|监事)|换届|高管变动|卸任|履新", 2.0),
    ("诉讼仲裁", r"诉讼|起诉|仲裁|判决|裁定|被告|原告|立案|上诉", 2.0),
    ("停复牌", r"停牌|复牌|暂停上市|终止上市|退市", 2.5),
    ("担保", r"担保|反担保|保证责任", 2.0),
    ("融资/上市", r"募资|募集资金|非公开发行|定增|配股|发行债券|公司债|可转债|IPO|首次公开发行|挂牌上市|登陆[^，。；]{0,6}(?:板|所)"
                  r"|\w轮融资|获投|领投|跟投", 2.0),
]
_TYPE_RX = [(t, re.compile(p), w) for t, p, w in _TYPE_RULES]
_HEADLINE = re.compile(r"原标题[:：]\s*(?P<h>[^\n]{2,80}?)(?:\s{2,}|来源|\n|$)")

# ---- roles: (role, cue pattern). The cue nearest the value wins; a tie goes to the earlier rule.
_SPEND = r"耗资|涉资|斥资|支付|资金总额|总金额|金额|总额|总代价|代价"
_SPEND_ROLE = {"股份回购": "回购金额", "增持": "增持金额", "减持": "减持金额", "中标": "中标金额",
               "签订合同": "合同金额", "对外投资/收购": "交易金额", "融资/上市": "融资金额", "担保": "担保金额",
               "分红派息": "分红金额"}
_ROLES_BEFORE: dict[str, list[tuple[str, str]]] = {
    "shares": [("解除质押股数", r"解除质押|解押"), ("质押股数", r"质押"), ("回购股数", r"回购"),
               ("增持股数", r"增持"), ("减持股数", r"减持"), ("总股本", r"总股本|股份总数|总股份"),
               ("限售股数", r"解禁|限售"), ("持股数", r"持有|持股|所持|股东"), ("发行股数", r"发行|配售"),
               ("转让股数", r"转让|受让")],
    "amount": [("回购金额", r"回购"), ("中标金额", r"中标|成交"), ("合同金额", r"合同|协议|订单"),
               ("交易金额", r"收购|转让|对价|作价|交易"), ("净亏损", r"净亏损|亏损"), ("净利润", r"净利润|利润"),
               ("营业收入", r"营业(?:总)?收入|营收|收入|收益"), ("募资金额", r"募资|募集"), ("融资金额", r"融资|获投"),
               ("担保金额", r"担保"), ("增持金额", r"增持"), ("减持金额", r"减持"),
               ("分红金额", r"分红|派发|派息|红利|股息"), ("投资金额", r"投资|出资|增资"), ("注册资本", r"注册资本"),
               ("总资产", r"总资产"), ("净资产", r"净资产"), ("市值", r"市值"), ("股价", r"收盘价|股价"),
               ("_spend", _SPEND)],
    "percent": [("占总股本比例", r"占[^，。；]{0,12}?(?:总股本|股份总数|总股份|已发行股份|已发行股本)"),
                ("占所持股份比例", r"占[^，。；]{0,6}?(?:所持|持有)"), ("质押比例", r"质押比例|质押率"),
                ("持股比例", r"(?<![所其])持股"), ("毛利率", r"毛利率"), ("净利率", r"净利率"),
                ("同比变动", r"同比|增长|下降|减少|增加|下滑|上升|上涨|下跌|增幅|降幅|收窄|扩大")],
    "date": [("截至日期", r"截至|截止"), ("起始日期", r"起始日|开始日|起始|自"), ("解除日期", r"解除日期|到期日|解除日"),
             ("结束日期", r"至|到")],
}
_ROLES_AFTER: dict[str, list[tuple[str, str]]] = {
    "date": [("公告日期", r"^[^，。；]{0,4}?(?:发布|披露|公布|公告|发布公告)"),
             ("解除质押日期", r"^[^，。；]{0,10}?解除质押"), ("质押日期", r"^[^，。；]{0,10}?(?<![原解])质押"),
             ("回购日期", r"^[^，。；]{0,6}?回购"), ("完成日期", r"^[^，。；]{0,6}?完成"),
             ("会议日期", r"^[^，。；]{0,6}?召开")],
    "percent": [("股权比例", r"^\s?(?:的)?(?:股权|权益|合伙份额|份额|股份)")],
    "shares": [("解除质押股数", r"^[^，。；]{0,8}?(?:解除质押|解押)"), ("质押股数", r"^[^，。；]{0,8}?质押"),
               ("回购股数", r"^[^，。；]{0,4}?回购"), ("增持股数", r"^[^，。；]{0,4}?增持"),
               ("减持股数", r"^[^，。；]{0,4}?减持")],
}
_ROLE_RX = {k: [(r, re.compile(p)) for r, p in v] for k, v in _ROLES_BEFORE.items()}
_ROLE_AFTER_RX = {k: [(r, re.compile(p)) for r, p in v] for k, v in _ROLES_AFTER.items()}
_CLAUSE_END = re.compile(r"[，。；;！？!?\n]|,(?!\d{3})")  # not the thousands comma of "132,515,050股"
ROLE_WINDOW = 24  # characters before a value searched for its cue

# ---- counterparties
_ORG_END = (r"股份有限公司|有限责任公司|有限公司|合伙企业（有限合伙）|合伙企业\(有限合伙\)|（有限合伙）|合伙企业|分公司|"
            r"分行|支行|集团|银行|证券|信托|基金|资本|控股|公司|医院|大学|研究院|研究所|政府|委员会|管理局|交易所")
_NAME_BODY = r"[^\s，。；：:,;、“”‘’《》()（）!！?？的签订了在将于就以其所持及等并已对向与称是为和由从被把]"
_COUNTERPARTY = re.compile(rf"(?:与|向|和|同|质押给|出质给|质押予|转让给|售予|卖给|中标|收购|受让|委托|获得|聘请|起诉|"
                           rf"联合|携手|牵手)(?P<org>{_NAME_BODY}{{2,30}}(?:{_ORG_END}))")
_CJK_NAME = r"[*A-Za-z\u4e00-\u4e27\u4e29-\u9fa5]"  # CJK without 丨 (U+4E28, a separator in "格隆汇7月2日丨")
_CODE_PATTERNS = [  # A-share codes in code context; name = the word just before, when there is one
    re.compile(rf"(?P<name>{_CJK_NAME}{{2,10}})\s*[(（]\s*(?:(?:SZ|SH|sz|sh)\s?)?(?P<code>[0368]\d{{5}})"
               r"(?:\.(?:SZ|SH|sz|sh))?(?:\s*[,，][^)）]{0,20})?\s*[)）]"),
    re.compile(rf"(?P<name>{_CJK_NAME}{{2,10}})\s*[(（]\s*(?:SZ|SH|sz|sh)\s?(?P<code>[0368]\d{{5}})"),
    re.compile(r"(?<!\d)(?P<code>[0368]\d{5})\.(?:SZ|SH|sz|sh)"),
    re.compile(r"(?:股票|证券)代码\s*[:：]?\s*(?P<code>[0368]\d{5})(?!\d)"),
]
_HK_CODE = re.compile(rf"(?P<name>{_CJK_NAME}{{2,10}})\s*[(（]\s*(?P<code>0\d{{4}})(?:[.\-](?:HK|hk))?\s*[)）]")


def _fold(text: str) -> str:
    """Full-width letters/digits -> ASCII one char at a time (offsets unchanged); spaces kept."""
    return "".join(c if len(n := unicodedata.normalize("NFKC", c)) != 1 else n for c in text)


def _key(name: str) -> str:
    return re.sub(r"\s+", "", _fold(str(name)))


def headline(text: str) -> str:
    """The announcement's headline: the "原标题：" line when there is one, else up to the first 。 / line break."""
    m = _HEADLINE.search(text)
    if m:
        return m.group("h")
    return re.split(r"[。\n]", text, maxsplit=1)[0][:120]


def type_scores(text: str) -> dict[str, float]:
    """Weighted keyword score of every type with a match; headline matches count double."""
    head = headline(text)
    scores: Counter = Counter()
    for t, rx, w in _TYPE_RX:
        n = min(3, len(rx.findall(text)))  # why: a long notice repeating a word is not 10x more of that type
        if n:
            scores[t] += w * n + w * min(2, len(rx.findall(head)))
    return {t: round(s, 2) for t, s in scores.most_common()}


def classify(text: str) -> str:
    scores = type_scores(text)
    if not scores:
        return "其他"
    best = max(scores, key=lambda t: (scores[t], -TYPES.index(t)))
    return best if scores[best] >= MIN_TYPE_SCORE else "其他"


def guess_role(text: str, value: dict, ann_type: str | None = None) -> str | None:
    """The role of a typed value from the words around it (see the module docstring), or None."""
    kind, start, end = value["kind"], value["start"], value["end"]
    if kind == "amount" and value.get("per"):
        return "每股价格" if value["per"] == "股" else "单价"
    for role, rx in _ROLE_AFTER_RX.get(kind, []):
        if rx.search(text[end:end + 16]):
            return role
    before = text[max(0, start - ROLE_WINDOW):start]
    cut = [m.end() for m in _CLAUSE_END.finditer(before)]
    before = before[cut[-1]:] if cut else before
    best, best_end = None, -1
    for role, rx in _ROLE_RX.get(kind, []):
        for m in rx.finditer(before):
            if m.end() > best_end:
                best, best_end = role, m.end()
    if best == "_spend":
        best = _SPEND_ROLE.get(ann_type or "", "交易金额")
    return best


class AnnouncementExtractor:
    """Company, type, typed fields and counterparties of announcement texts (rules; see the module docstring).

    `company_names` maps listed-company names and short names to 6-digit codes; "*ST"/"ST" prefixes and a
    trailing A/B share letter are also matched without them when what remains has 3+ / 2+ characters.
    """

    def __init__(self, company_names: dict[str, str] | None = None):
        self.names: dict[str, str] = {}
        for name, code in (company_names or {}).items():
            k, code = _key(name), str(code).strip().zfill(6)
            if len(k) < 2:
                continue
            self.names.setdefault(k, code)
            bare = re.sub(r"^(?:\*?S?\*?ST)", "", k)
            if bare != k and len(bare) >= 3:
                self.names.setdefault(bare, code)
            if re.search(r"[\u4e00-\u9fa5][AB]$", k):
                self.names.setdefault(k[:-1], code)
        self.by_code: dict[str, str] = {}
        for k, code in self.names.items():  # the longest alias names the code (the full short name)
            if len(k) > len(self.by_code.get(code, "")):
                self.by_code[code] = k
        self.lengths = sorted({len(k) for k in self.names}, reverse=True)

    # ---- company

    def mentions(self, text: str) -> list[dict]:
        """Company mentions {name, code, surface, start, coded}, in text order: gazetteer names (leftmost-longest)
        and stock codes in code context. `name` is the gazetteer's name for the code when it knows the code,
        `surface` what the text writes (a renamed company keeps its old name in old news)."""
        t = _QUOTE_BOX.sub(lambda m: " " * len(m.group()), _fold(text))
        found: list[dict] = []
        i = 0
        while i < len(t) and self.lengths:
            for n in self.lengths:
                if t[i:i + n] in self.names:
                    found.append({"name": t[i:i + n], "code": self.names[t[i:i + n]], "surface": t[i:i + n],
                                  "start": i, "coded": False})
                    i += n
                    break
            else:
                i += 1
        for rx in _CODE_PATTERNS:
            for m in rx.finditer(t):
                code, surface = m.group("code"), self._surface(m.groupdict().get("name") or "")
                if self.names and code not in self.by_code:
                    continue  # why: with a gazetteer, a 6-digit number it does not know is no stock code
                found.append({"name": self.by_code.get(code) or surface, "code": code, "surface": surface,
                              "start": m.start(), "coded": True})
        for m in _HK_CODE.finditer(t):
            surface = self._surface(m.group("name"))
            found.append({"name": surface, "code": f"{m.group('code')}.HK", "surface": surface,
                          "start": m.start(), "coded": True})
        return sorted(found, key=lambda f: f["start"])

    def _surface(self, glued: str) -> str:
        """The name glued before a code: its longest known tail, else its last 2-6 characters."""
        for i in range(len(glued) - 1):
            if glued[i:] in self.names:
                return glued[i:]
        return _strip_lead(glued)

    def company(self, text: str) -> dict | None:
        """{name, code, mention} of the announcing company (see the module docstring), or None."""
        found = [f for f in self.mentions(text) if f["code"] or f["name"]]
        if not found:
            return None
        score: Counter = Counter()
        first_at: dict[str, int] = {}
        for i, f in enumerate(found):
            key = f["code"] or f["name"]
            first_at.setdefault(key, i)
            score[key] += 1
            if f["coded"] and not any(g["coded"] and (g["code"] or g["name"]) == key for g in found[:i]):
                score[key] += 1  # a name with its code beside it is how an issuer is introduced
        score[found[0]["code"] or found[0]["name"]] += 1.5
        best = max(score, key=lambda k: (score[k], -first_at[k]))
        mine = [f for f in found if (f["code"] or f["name"]) == best]
        name = next((f["name"] for f in mine if not f["coded"]), mine[0]["name"])
        surface = next((f["surface"] for f in mine if f["surface"]), name)
        return {"name": name, "code": mine[0]["code"] or None, "mention": surface}

    # ---- the rest

    def counterparties(self, text: str, company: dict | None = None) -> list[str]:
        t = _QUOTE_BOX.sub("", _fold(text))  # "中国银河(12.400,-0.18,-1.43%)证券" -> 中国银河证券
        own = {company.get("name"), company.get("mention")} - {None, ""} if company else set()
        out: list[str] = []
        for m in _COUNTERPARTY.finditer(t):
            org = m.group("org")
            if org not in out and not any(o and (org == o or org.startswith(o) and len(org) - len(o) <= 4)
                                          for o in own):
                out.append(org)
        return out

    def fields(self, text: str, ann_type: str | None = None) -> list[dict]:
        out = []
        for v in parse_values(text):
            v["role"] = guess_role(text, v, ann_type)
            out.append(v)
        return out

    def extract(self, text: str) -> dict:
        text = str(text)
        company = self.company(text)
        ann_type = classify(text)
        return {"company": company, "type": ann_type, "type_scores": type_scores(text),
                "fields": self.fields(text, ann_type), "counterparties": self.counterparties(text, company)}

    def predict(self, texts: list[str]) -> list[dict]:
        """One plain, JSON-serialisable dict per text (see the module docstring)."""
        return [self.extract(t) for t in texts]

    # ---- persistence

    def save(self, out_dir: str | Path) -> Path:
        from bbt.extract.store import save_extractor

        return save_extractor(self, out_dir, "announcement.joblib", {"kind": "announcement", "names": len(self.names)})

    @classmethod
    def load(cls, path: str | Path) -> "AnnouncementExtractor":
        from bbt.extract.store import load_extractor

        return load_extractor(path, "announcement.joblib", cls)


def _strip_lead(name: str) -> str:
    """The stock name glued before a code, without the words before it ("公告称科远股份" is rare; "挖贝网X" is
    not: keep the last 2-6 characters of a CJK run, which is how A-share short names are written)."""
    m = re.search(r"(?:\*?ST)?[\u4e00-\u9fa5A-Za-z]{2,6}$", name)
    return m.group() if m else name


def load_company_names(path: str | Path) -> dict[str, str]:
    """name -> code from a `code,name` CSV such as stocks/stock_names.csv (codes kept as 6-digit strings)."""
    import pandas as pd

    from bbt.errors import DataError

    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise DataError(f"cannot read the company list ({e})", file=str(path)) from None
    missing = {"code", "name"} - set(df.columns)
    if missing:
        raise DataError(f"expected columns code,name; missing {sorted(missing)}", file=str(path))
    df = df.dropna(subset=["code", "name"])
    return {str(n): str(c).strip().zfill(6) for c, n in zip(df["code"], df["name"])}
