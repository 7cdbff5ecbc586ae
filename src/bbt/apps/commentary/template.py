"""The template realiser: commentary in an analyst's or a retail investor's voice from the facts of a window.

It is the fallback writer and the baseline the model is measured against. Each fact kind has a few sentence
templates per voice, written so every number they state is a claim the checker (bbt.ts.claims) parses; the
realiser checks its own text and drops a sentence with a claim the series does not verify (none should be: a
dropped sentence is counted in the output, and the tests require zero). Phrasing varies with a seed derived from
the code and end date, so the same window always reads the same.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field

from bbt.ts.claims import Claim, check_text
from bbt.ts.facts import Fact, WindowFacts

STYLES = ("analyst", "retail")
N_FACTS = 4  # salient facts a commentary states (at least 3 are required of every writer)

def _pct(x: float, digits: int = 2) -> str:
    return f"{abs(x) * 100:.{digits}f}%"


def _analyst(f: Fact, wf: WindowFacts, rng: random.Random) -> str | None:
    """News / report register: full figures, 报收, 交易日, neutral verbs."""
    up = f.direction == "up"
    if f.kind == "change" and not f.direction:
        return f"今日平收，报收{wf.close:.2f}元" if f.window == 1 else None
    if f.kind == "change" and f.window == 1:
        word = "收涨" if up else "收跌"
        return rng.choice([f"今日{word}{_pct(f.value)}，报收{wf.close:.2f}元", f"当日{word}{_pct(f.value)}，收于{wf.close:.2f}元"])
    if f.kind == "change":
        return f"近{f.window}个交易日累计{'上涨' if up else '下跌'}{_pct(f.value)}"
    if f.kind == "streak":
        return f"已连续{f.window}个交易日{'收涨' if up else '收跌'}"
    if f.kind == "new_extreme":
        return f"股价创{f.window}日{'新高' if up else '新低'}"
    if f.kind in ("high", "low"):
        return f"近{f.window}日{'最高' if f.kind == 'high' else '最低'}价{f.value:.2f}元（{f.date}）"
    if f.kind == "drawdown":
        return f"较{f.window}日内高点回落{_pct(f.value)}"
    if f.kind == "volume":
        spike = f.direction == "spike"
        return f"{'放量' if spike else '缩量'}明显，成交量{'放大至' if spike else '萎缩至'}前20日均量的{f.value:.2f}倍"
    if f.kind == "limit":
        run = f.extra.get("consecutive", 1)
        return ("今日封涨停" if run == 1 else f"今日涨停，{run}连板") if up else "今日跌停"
    if f.kind == "gap":
        return f"早盘跳空{'高开' if up else '低开'}"
    if f.kind == "ma_cross":
        return f"收盘{'站上' if up else '跌破'}{f.window}日均线"
    if f.kind == "volatility":
        return f"波动率处于近一年{'高位' if f.direction == 'high' else '低位'}"
    if f.kind == "wavelet":
        return f"小波分解的低频趋势{'向上' if up else '向下'}"
    return None


def _retail(f: Fact, wf: WindowFacts, rng: random.Random) -> str | None:
    """Forum register (as in finfe's posts): short, first person, rounded figures, exclamations."""
    up = f.direction == "up"
    if f.kind == "change" and not f.direction:
        return "今天平收，没动" if f.window == 1 else None
    if f.kind == "change" and f.window == 1:
        return rng.choice([f"今天涨了{_pct(f.value, 1)}！", f"今天涨了{_pct(f.value, 1)}，爽"]) if up else \
            rng.choice([f"今天跌了{_pct(f.value, 1)}，被埋了", f"今天跌了{_pct(f.value, 1)}，心累"])
    if f.kind == "change":
        return f"这{f.window}天{'涨了' if up else '跌了'}{_pct(f.value, 1)}{'，拿住了' if up else '，割肉还是扛？'}"
    if f.kind == "streak":
        return f"{f.window}连{'阳' if up else '阴'}了{'！' if up else '，啥时候是个头'}"
    if f.kind == "new_extreme":
        return f"创{f.window}日{'新高了，别卖！' if up else '新低了，抄底吗？'}"
    if f.kind in ("high", "low"):
        return f"{'最高' if f.kind == 'high' else '最低'}到{f.value:.2f}元{'就回来了' if f.kind == 'high' else '又弹回来'}" \
            if f.date != wf.end else None
    if f.kind == "drawdown":
        return f"较{f.window}日高点回撤{_pct(f.value, 1)}，套牢了"
    if f.kind == "volume":
        return "今天放量了，主力进场？" if f.direction == "spike" else "缩量了，没人玩了"
    if f.kind == "limit":
        run = f.extra.get("consecutive", 1)
        return ("涨停了！好久没坐火箭了" if run == 1 else f"{run}连板了！") if up else "跌停了，血亏"
    if f.kind == "gap":
        return f"跳空{'高开' if up else '低开'}了"
    if f.kind == "ma_cross":
        return f"{'站上' if up else '跌破'}{f.window}日均线了"
    if f.kind == "volatility":
        return f"波动率处于{'高位，心脏受不了' if f.direction == 'high' else '低位，磨人'}"
    if f.kind == "wavelet":
        return None  # an analysis-tool fact; not forum talk
    return None


def _sentence(f: Fact, style: str, wf: WindowFacts, rng: random.Random) -> str | None:
    if f.kind == "limit" and f.date != wf.end:
        return None  # an earlier limit day is not the day's news
    return (_analyst if style == "analyst" else _retail)(f, wf, rng)


OPENERS = {"analyst": ("{name}", "{name}盘面：", "{name}方面，"), "retail": ("", "{name}，", "")}
CLOSERS = {"analyst": ("后市关注量能变化。", "短期走势仍需观察成交配合。", "投资者注意控制仓位。"),
           "retail": ("兄弟们怎么看？", "拿住别慌！", "明天继续看戏。", "别追高，等回调再说。", "心态要稳！")}


@dataclass
class Commentary:
    text: str
    style: str
    facts: list[Fact]  # the facts the text states
    claims: list[Claim]
    dropped: list[str] = field(default_factory=list)  # sentences removed because a claim did not verify

    def to_dict(self) -> dict:
        return {"text": self.text, "style": self.style, "facts": [f.to_dict() for f in self.facts],
                "claims": [c.to_dict() for c in self.claims], "dropped": self.dropped}


def select_facts(wf: WindowFacts, n: int = N_FACTS) -> list[Fact]:
    """The day's change first (every commentary says how the day closed), then the most salient others, one
    per kind and window, and the earlier-limit-day facts only through the day's own."""
    day = [f for f in wf.facts if f.kind == "change" and f.window == 1]
    rest = [f for f in sorted(wf.facts, key=lambda f: -f.salience)
            if f not in day and not (f.kind == "limit" and f.date != wf.end)]
    picked, kinds = list(day), set()
    for f in rest:
        key = f.kind if f.kind != "change" else f"change{f.window}"
        if key not in kinds and len(picked) < n:
            picked.append(f)
            kinds.add(key)
    return picked


def realise(wf: WindowFacts, style: str = "analyst", name: str | None = None, n_facts: int = N_FACTS,
            seed: int | None = None) -> Commentary:
    if style not in STYLES:
        from bbt.errors import BBTError

        raise BBTError(f"style {style!r}: choose one of {', '.join(STYLES)}")
    rng = random.Random(seed if seed is not None else zlib.crc32(f"{wf.code}{wf.end}{style}".encode()))
    name = name or (wf.code or "该股")
    facts, sentences = [], []
    for f in select_facts(wf, n_facts):
        s = _sentence(f, style, wf, rng)
        if s:
            facts.append(f)
            sentences.append(s)
    dropped = []
    kept_facts, kept = [], []
    for f, s in zip(facts, sentences):  # why one by one: a sentence that does not verify goes, not the text
        claims = check_text(s, wf.series, wf.code)
        if all(c.verdict == "verified" for c in claims):
            kept_facts.append(f)
            kept.append(s)
        else:
            dropped.append(s)
    opener = rng.choice(OPENERS[style]).format(name=name)
    sep = "，" if style == "analyst" else " "
    body = sep.join(kept).rstrip("！？")
    end = "。" if style == "analyst" else rng.choice(("，", "！"))
    text = f"{opener}{body}{end}{rng.choice(CLOSERS[style])}" if kept else rng.choice(CLOSERS[style])
    return Commentary(text, style, kept_facts, check_text(text, wf.series, wf.code), dropped)
