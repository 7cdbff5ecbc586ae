"""Entity gazetteer and weak labeller for NER: no NER set is shipped, so training spans come from lists of names.

Sources (train splits only, never FinCUGE eval lists):
- FinCUGE: finre head/tail entities, finnsp entities + negative entities, finese subjects (NaN skipped);
- knowledge graph: stock short names (kg/stock_kg/import/stock.csv, stocks/stock_names.csv,
  kg/stock_basics/Astocks.csv) as COMPANY, executives (kg/stock_kg/import/executive.csv) as PERSON, with the
  companies each one serves (executive_stock.csv) for the PERSON context rule below.

Typing rules (first that applies):
1. ORG: a name in `_ORG_NAMES` (central banks, regulators, exchanges by their short names) or ending in a
   government / court / exchange / association / university / hospital suffix (`_ORG_SUFFIX`).
2. COMPANY: a KG stock name, or a name with a company suffix (公司, 集团, 银行, 证券, 控股, 基金, 保险, ...).
3. COMPANY: every other FinCUGE name. finre entities, finnsp entities and finese subjects are companies,
   platforms and brands; the ten FinCUGE names that are also executive names (李宁, 杨森, 方正, 东风, 吉利, ...)
   are companies there, so an annotated FinCUGE name is never re-typed PERSON by the surname rule.
4. PERSON: an executive name of 2-4 Chinese characters (trailing "1", "2" de-duplication digits dropped),
   unless jieba lists it as an everyday word (其实, 平衡, 陈述, 黄河, ...); a two-character name must also start
   with a common surname (`_SURNAMES`). Only PERSON comes from executives; a name is PERSON only if no rule above
   typed it.

Junk filter (checked against the data): names shorter than 2 characters, pure digits / punctuation, "<N>"
placeholders and "?" mojibake, ASCII names under 3 characters ("e", "PE", "tp"), places, `_STOP` (generic
words annotators put in entity fields: 钱包, 资金链, 消费金融, 炒股, ...), and FinCUGE names the annotators
rarely meant: a FinCUGE name without an ORG / COMPANY suffix, found by the weak labeller in >= 10 of the source
texts but annotated in fewer than 5% of them (15% if jieba lists it as a common word) is taken for a common word
(网金, 微博, 移动, 方向, 中华, ...). finese annotates one subject per event, so real companies are under-annotated
too: the thresholds are low on purpose, and some companies (融创, 穆迪) are lost with the junk.

Weak labelling (`Gazetteer.label`): all gazetteer hits, then greedy selection preferring longer spans, then
earlier ones, with no overlaps. ASCII names need a non-alphanumeric character on both sides ("ABC" not inside
"ABCD"). PERSON rule: executive names are also everyday words and namesakes, so a PERSON hit is kept only when a
job word (董事长, 总经理, 董事, 监事, 高管, 先生, 女士, ...) occurs within `PERSON_WINDOW` characters of it, or the
text names one of the companies that person serves.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bbt.errors import DataError

COMPANY, PERSON, ORG = "COMPANY", "PERSON", "ORG"
TYPES = (COMPANY, PERSON, ORG)
PERSON_WINDOW = 12  # characters either side of a PERSON hit searched for a job word

_ORG_NAMES = frozenset({
    "央行", "人民银行", "中国人民银行", "人行", "美联储", "欧洲央行", "日本央行", "英国央行", "世界银行", "国务院",
    "证监会", "银保监会", "银监会", "保监会", "发改委", "国资委", "外汇局", "统计局", "工信部", "财政部", "商务部",
    "公安部", "国家统计局", "深交所", "上交所", "港交所", "联交所", "北交所", "纳斯达克", "纽交所", "新华社",
    "中证协", "基金业协会", "国际货币基金组织", "IMF", "OPEC", "欧佩克", "WTO", "世贸组织", "中登公司",
})
_ORG_SUFFIX = re.compile(
    r"(?:局|委员会|委|部|厅|署|办公室|法院|检察院|公安|派出所|交易所|证监会|监管局|银保监会|协会|商会|基金会|联合会|"
    r"政府|大学|学院|研究院|研究所|医院|国务院|监狱)$")
_ORG_NOT = re.compile(r"(?:营业部|事业部|俱乐部)$")  # a company's department, not an authority
_COMPANY_SUFFIX = re.compile(
    r"(?:公司|集团|银行|证券|股份|控股|科技|基金|保险|信托|投资|金融|金服|资本|实业|地产|置业|传媒|"
    r"电子|电器|医药|药业|能源|矿业|汽车|航空|分行|支行|营业部|有限|Ltd\.?|Limited|Inc\.?|Corp\.?|LLC|Group)$",
    re.IGNORECASE)
_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,2}(?:国|省|市|县)$")  # 美国, 广东省; not 永辉超市 or 红杉中国
_STOP = frozenset({
    "网", "钱包", "白条", "首席", "商城", "金融服务", "炒股", "资金链", "消费金融", "小额贷", "贷款中心", "借钱",
    "首家", "靠谱", "币圈", "炒币", "期权", "助贷", "头条", "涉赌", "美债", "美股", "港股", "A股", "B股", "平台",
    "银行", "公司", "集团", "证券", "基金", "保险", "信托", "理财", "网贷", "P2P", "p2p", "互联网金融", "金融",
    "发展有限公司", "有限公司", "股份有限公司", "公安机关", "警方", "法院", "政府", "监管部门", "交易所",
    "券商", "上市公司", "投资者", "股东", "董事会", "中国", "美国", "香港", "北京", "上海", "深圳", "广州",
    "比特币", "资产评估", "有色", "金融业",
    # province-level regions: places, not organisations (cities are caught by _PLACE)
    "天津", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南",
    "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏",
    "宁夏", "新疆", "澳门",
})
_JOB_WORDS = re.compile(r"董事长|总经理|总裁|董事|监事|高管|经理|总监|秘书|CEO|创始人|实控人|实际控制人|"
                        r"先生|女士|主席|负责人|法人代表|法定代表人")
# the ~150 most common Chinese surnames: a two-character executive name must start with one (rule 4)
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游"
    "辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应"
    "臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
_DIGIT_SUFFIX = re.compile(r"\d+$")
_CJK_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_ONLY_DIGITS_PUNCT = re.compile(r"[\W\d_]+")
_STOCK_PREFIX = re.compile(r"^(?:\*?S?\*?ST|[NCS](?=[\u4e00-\u9fff]))")  # *ST, ST, S*ST, N/C/S new-listing marks
_STOCK_SUFFIX = re.compile(r"(?:[AB]股?|退)$")


def clean_name(name: object) -> str:
    """A name as it appears in text: no whitespace (exports pad "万  科Ａ"), full-width letters made ASCII."""
    s = re.sub(r"\s+", "", str(name)).strip("?？")  # why: finnsp names carry "????" mojibake at the edges
    # why: NFKC only on the full-width ASCII block; elsewhere it would rewrite CJK compatibility characters
    return "".join(unicodedata.normalize("NFKC", c) if "\uff01" <= c <= "\uff5e" else c for c in s)


def is_junk(name: str) -> bool:
    """Names never used: too short, digits / punctuation only, placeholders, short ASCII, places, stop words."""
    if len(name) < 2 or _ONLY_DIGITS_PUNCT.fullmatch(name) or "<" in name or "?" in name or "？" in name:
        return True
    if name.isascii() and len(name) < 3:
        return True
    return name in _STOP or bool(_PLACE.match(name))


def type_by_rules(name: str) -> str | None:
    """ORG or COMPANY from the name itself (rules 1-2 of the module docstring), None if the name does not say."""
    if name in _ORG_NAMES or (_ORG_SUFFIX.search(name) and not _ORG_NOT.search(name)):
        return ORG
    if _COMPANY_SUFFIX.search(name):
        return COMPANY
    return None


def _stock_variants(raw: object) -> set[str]:
    """A stock short name and the form news uses without its listing marks (*ST大地 -> 大地, 万科Ａ -> 万科)."""
    name = clean_name(raw)
    out = {name}
    bare = _STOCK_SUFFIX.sub("", _STOCK_PREFIX.sub("", name))
    if len(bare) >= 3:  # why: two-character remainders (石化, 威尔, 智慧) are mostly everyday words
        out.add(bare)
    return out


_NAME_POS = ("nr", "nrt", "nrfg", "ns", "nt", "nz", "j", "eng")  # jieba tags for names and abbreviations


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Everyday words by jieba's dictionary: frequency >= 200, or >= 20 with a tag that is not a name tag.

    jieba tags are noisy (陈述 and 智慧 are tagged nr, 小米 n), so a high frequency alone also makes a word common.
    """
    import jieba

    out = set()
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                freq = int(parts[1])
                if freq >= 200 or (freq >= 20 and parts[2] not in _NAME_POS):
                    out.add(parts[0])
    return frozenset(out)


@dataclass
class Gazetteer:
    """name -> type, plus the companies each PERSON name serves (for the PERSON context rule)."""

    names: dict[str, str]
    employers: dict[str, list[str]] = field(default_factory=dict)
    stats: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # first character -> the lengths of names starting with it, longest first: a scan tries only these
        by_first: dict[str, set[int]] = defaultdict(set)
        for n in self.names:
            by_first[n[0]].add(len(n))
        self._lengths = {c: sorted(ls, reverse=True) for c, ls in by_first.items()}

    def restricted(self, keep: set[str]) -> "Gazetteer":
        """The same gazetteer limited to the names in `keep` (e.g. those labelled in a training slice)."""
        return Gazetteer({n: t for n, t in self.names.items() if n in keep}, self.employers)

    def hits(self, text: str) -> list[tuple[int, int, str]]:
        """Every (start, end, type) occurrence of a name, overlapping ones included."""
        names, lengths, out, size = self.names, self._lengths, [], len(text)
        for i, c in enumerate(text):
            for n in lengths.get(c, ()):
                # why: near the end a slice is cut short and could equal a shorter name
                t = names.get(text[i:i + n]) if i + n <= size else None
                if t is not None:
                    out.append((i, i + n, t))
        return out

    def label(self, text: str) -> list[tuple[int, int, str]]:
        """Weak labels: non-overlapping (start, end, type) spans, longer first, then earlier (module docstring)."""
        cands = [h for h in self.hits(text) if self._accept(text, *h)]
        cands.sort(key=lambda h: (h[0] - h[1], h[0]))
        taken = bytearray(len(text))
        out = []
        for s, e, t in cands:
            if not any(taken[s:e]):
                taken[s:e] = b"\x01" * (e - s)
                out.append((s, e, t))
        return sorted(out)

    def _accept(self, text: str, s: int, e: int, t: str) -> bool:
        if _ASCII_ALNUM.match(text[s]) and s > 0 and _ASCII_ALNUM.match(text[s - 1]):
            return False  # why: an ASCII name glued to more letters is part of another word
        if _ASCII_ALNUM.match(text[e - 1]) and e < len(text) and _ASCII_ALNUM.match(text[e]):
            return False
        if t != PERSON:
            return True
        if _JOB_WORDS.search(text, max(0, s - PERSON_WINDOW), e + PERSON_WINDOW):
            return True
        return any(c in text for c in self.employers.get(text[s:e], ()))

    def to_dict(self) -> dict:
        return {"names": self.names, "employers": self.employers}

    @classmethod
    def from_dict(cls, d: dict) -> "Gazetteer":
        return cls(dict(d["names"]), {k: list(v) for k, v in d.get("employers", {}).items()})


# ---------------------------------------------------------------------------------------------- building

def _read_csv(path: Path, **kw) -> pd.DataFrame:
    if not path.is_file():
        raise DataError("file not found (the NER gazetteer reads the knowledge-graph and stock lists)", file=str(path))
    try:
        return pd.read_csv(path, dtype=str, **kw)
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read CSV ({e})", file=str(path)) from None


def _kg_companies(data_dir: Path) -> tuple[set[str], dict[str, set[str]]]:
    """KG company names (with their bare variants) and stock code -> names."""
    by_code: dict[str, set[str]] = defaultdict(set)
    for rel, kw in (("kg/stock_kg/import/stock.csv", {}), ("stocks/stock_names.csv", {"encoding": "utf-8-sig"}),
                    ("kg/stock_basics/Astocks.csv", {"sep": " "})):
        df = _read_csv(data_dir / rel, **kw)
        if "name" not in df.columns or "code" not in df.columns:
            raise DataError(f"expected columns code and name, got {list(df.columns)}", file=str(data_dir / rel))
        for code, name in zip(df["code"], df["name"]):
            if isinstance(name, str) and isinstance(code, str):
                by_code[code.strip().zfill(6)] |= _stock_variants(name)
    return set().union(*by_code.values()), by_code


def _kg_executives(data_dir: Path, by_code: dict[str, set[str]]) -> dict[str, set[str]]:
    """Executive name (2-4 Chinese characters) -> the company names of the stocks they serve."""
    people = _read_csv(data_dir / "kg/stock_kg/import/executive.csv")
    links = _read_csv(data_dir / "kg/stock_kg/import/executive_stock.csv")
    pid_col, name_col = people.columns[0], "name"
    names = {pid: _DIGIT_SUFFIX.sub("", str(n).strip()) for pid, n in zip(people[pid_col], people[name_col])}
    out: dict[str, set[str]] = defaultdict(set)
    for pid, code in zip(links.iloc[:, 0], links.iloc[:, 2]):
        name = names.get(pid, "")
        if _CJK_NAME.fullmatch(name):
            out[name] |= by_code.get(str(code).strip().zfill(6), set())
    for name in names.values():  # executives without a stock link still count as names
        if _CJK_NAME.fullmatch(name):
            out.setdefault(name, set())
    return out


def fincuge_rows(data_dir: Path) -> list[tuple[str, list[str]]]:
    """(text, annotated entity names) for every finre / finnsp / finese train row: the FinCUGE name sources."""
    from bbt.tasks import get_task

    rows: list[tuple[str, list[str]]] = []  # why: rows, not texts: finre repeats a text once per entity pair
    for ex in get_task("finre").load(data_dir, "train"):
        rows.append((ex.fields["text"], [ex.fields["head"], ex.fields["tail"]]))
    for ex in get_task("finnsp").load(data_dir, "train"):
        f = ex.fields
        text = f["text"] if f["text"].startswith(f["title"]) else f"{f['title']} {f['text']}"
        rows.append((text, list(f["entities"]) + list(f["negative_entities"])))
    for ex in get_task("finese").load(data_dir, "train"):
        if ex.fields["subject"]:
            rows.append((ex.fields["text"], [ex.fields["subject"]]))
    return rows


def build_gazetteer(data_dir: str | Path) -> Gazetteer:
    """The gazetteer from the FinCUGE train entity fields and the knowledge graph (rules in the module docstring)."""
    data_dir = Path(data_dir)
    kg_companies, by_code = _kg_companies(data_dir)
    executives = _kg_executives(data_dir, by_code)
    rows = fincuge_rows(data_dir)
    common = common_words()

    dropped: Counter = Counter()
    names: dict[str, str] = {}
    for n in kg_companies:
        if is_junk(n):
            dropped["junk"] += 1
        elif len(n) <= 3 and n in common:
            dropped["common word"] += 1  # why: 2-3 character stock names like 数码, 智慧, 机器人 are everyday words
        else:
            names[n] = type_by_rules(n) if type_by_rules(n) == ORG else COMPANY

    # per distinct text, the names annotated in any of its rows (finre has one row per entity pair)
    annotated: dict[str, set[str]] = defaultdict(set)
    for text, ents in rows:
        annotated[text] |= {clean_name(e) for e in ents}
    fin_names: Counter = Counter()  # name -> texts that annotate it and contain it
    for text, ents in annotated.items():
        for n in ents:
            fin_names[n] += int(n in text)  # why: += 0 still registers a name absent from its own text
    candidates = {n for n in fin_names if not is_junk(n) and n not in names}
    dropped["junk"] += sum(1 for n in fin_names if is_junk(n))
    # texts whose weak labelling (over the candidates + KG names) contains each name
    probe = Gazetteer({**{n: COMPANY for n in candidates}, **names})
    found: Counter = Counter()
    for text in annotated:
        found.update({text[s:e] for s, e, _ in probe.label(text)})
    for n in sorted(candidates):
        t = type_by_rules(n)
        ratio = fin_names[n] / max(found[n], 1)
        if t is None and found[n] >= 10 and (ratio < 0.05 or (ratio < 0.15 and n in common)):
            dropped["rarely annotated"] += 1
            continue
        names[n] = t or COMPANY

    employers: dict[str, list[str]] = {}
    for person, companies in executives.items():
        if person in names:
            dropped["person name taken by a company"] += 1
        elif person in common or person in _STOP:
            dropped["person name is a common word"] += 1
        elif len(person) == 2 and person[0] not in _SURNAMES:
            dropped["two-character person name without a common surname"] += 1
        else:
            names[person] = PERSON
            if companies:
                employers[person] = sorted(companies)
    stats = {"names": len(names), "by_type": dict(Counter(names.values())), "dropped": dict(dropped),
             "sources": {"kg_companies": len(kg_companies), "executives": len(executives),
                         "fincuge_names": len(fin_names), "fincuge_rows": len(rows)}}
    return Gazetteer(names, employers, stats)
