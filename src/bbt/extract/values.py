"""Typed values in Chinese financial text: amounts with a currency, share counts, percentages and dates.

`parse_values(text)` returns plain dicts, in text order, never overlapping:

    {"kind": "amount" | "shares" | "percent" | "date", "text": surface form, "start", "end": char offsets,
     "value": float (date: ISO string), "unit": ...}

- amount: `value` in the currency's base unit (1.2亿元 -> 120000000.0, 0.51港仙 -> 0.0051), `unit` an ISO code
  (CNY, HKD, USD ...) or None when the text names no currency ("耗资2亿"); a price per share / per ton also has
  `per` ("股", "吨");
- shares: `value` a share count (1050.3万股 -> 10503000.0), `unit` "股";
- percent: `value` in percent (3.00% -> 3.0, 百分之三 -> 3.0), `unit` "%" (or "百分点" for percentage points);
- date: `value` "YYYY-MM-DD" ("YYYY-MM" for 2019年8月); a date without a year ("8月20日") takes the year of the
  nearest full date before it (`year_inferred`: True) or `default_year`, else stays "MM-DD".

Ranges ("3000万元至3500万元", "1-2亿元", "3-5%") are one value: `value` the low end, `max` the high end.
Hedges just before a number ("约", "不超过", "逾" ...) go to `qualifier`. Sina quote boxes after stock names
("和佳医疗(7.550,-0.21,-2.71%)") are prices of the day, not facts of the text, and are skipped.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

# Full-width digits and signs -> ASCII, one char for one char, so offsets stay those of the caller's text.
_WIDTH = str.maketrans("０１２３４５６７８９％．－～", "0123456789%.-~")

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MAG = r"万亿|亿|千万|百万|万|千|百"
_MAGNITUDE = {"万亿": 10 ** 12, "亿": 10 ** 8, "千万": 10 ** 7, "百万": 10 ** 6, "万": 10 ** 4, "千": 10 ** 3,
              "百": 100, "": 1}
# "1亿2000万" (mixed magnitudes) or one number with at most one magnitude word
_START = r"(?<![\d.])(?<!\d,)"  # a number starts here, not in the middle of one ("每10股" is no "0股")
_QUANTITY = rf"{_START}(?P<num>{_NUM})(?:亿(?P<num2>{_NUM})(?P<mag2>千万|万)|(?P<mag>{_MAG}))?"
_SIGN = r"(?P<sign>(?<![\d.,])[-−])?"
_CURRENCIES = {  # surface -> (code, factor to the base unit)
    "元人民币": ("CNY", 1), "人民币元": ("CNY", 1), "人民币": ("CNY", 1), "元": ("CNY", 1), "块钱": ("CNY", 1),
    "港元": ("HKD", 1), "港币": ("HKD", 1), "元港币": ("HKD", 1), "港仙": ("HKD", Decimal("0.01")),
    "美元": ("USD", 1), "美金": ("USD", 1), "元美金": ("USD", 1), "美分": ("USD", Decimal("0.01")),
    "欧元": ("EUR", 1), "日元": ("JPY", 1), "英镑": ("GBP", 1), "澳元": ("AUD", 1), "加元": ("CAD", 1),
    "新加坡元": ("SGD", 1), "新台币": ("TWD", 1), "韩元": ("KRW", 1), "卢布": ("RUB", 1), "瑞郎": ("CHF", 1),
}
_CUR = "|".join(sorted(_CURRENCIES, key=len, reverse=True))
_PER = r"(?:(?:/|每)(?P<per>吨公里|股|吨|千克|公斤|克|斤|桶|盎司|平方米|平米|头|只|张|份|手|件|台|辆|度|立方米|方))"
_QUALIFIER = r"(?P<qual>约合|约为|约|大约|不超过|不低于|不少于|不高于|超过|逾|近|达|至少|最多|最高|最低|高达|合计|共计|累计)?"

_AMOUNT = re.compile(rf"{_QUALIFIER}(?P<pre>人民币|RMB|HK\$|US\$)?\s?{_SIGN}{_QUANTITY}\s?(?P<cur>{_CUR})?{_PER}?")
_SHARES = re.compile(rf"{_QUALIFIER}(?<!每){_QUANTITY}\s?股(?![东价权票本民市吧指息利评])")
_PERCENT = re.compile(rf"{_QUALIFIER}{_SIGN}{_START}(?P<num>{_NUM})\s?(?:%|个百分点)")
_CN_PERCENT = re.compile(rf"{_QUALIFIER}百分之(?P<cn>[零一二两三四五六七八九十百点〇]+)(?![几多余])")
# a number with 亿 / 万 but no currency counts as money only after a word about money ("耗资2亿", "净利润3000万")
_BARE_MONEY = re.compile(rf"(?:耗资|涉资|斥资|出资|金额|资金|募资|募集|融资|对价|价格|作价|总价|收入|营收|利润|亏损|"
                         rf"成交额|市值|规模|票房|估值|投资|款|总额)[^\d，。；,;]{{0,4}}?{_QUALIFIER}{_SIGN}"
                         rf"{_START}(?P<num>{_NUM})(?P<mag>万亿|亿|千万|万)(?![\d元股%])")

_DATE_FULL = re.compile(r"(?P<y>(?:19|20)\d{2})\s?年\s?(?P<m>\d{1,2})\s?月\s?(?P<d>\d{1,2})\s?[日号]")
_DATE_ISO = re.compile(r"(?<![\d.])(?P<y>(?:19|20)\d{2})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?![\d.])")
_DATE_YM = re.compile(r"(?P<y>(?:19|20)\d{2})\s?年\s?(?P<m>\d{1,2})\s?月(?:份)?(?!\s?\d)")
_DATE_MD = re.compile(r"(?<![\d年])(?P<m>\d{1,2})\s?月\s?(?P<d>\d{1,2})\s?[日号]")
# "(7.550,-0.21,-2.71%)": Sina's price box (price, change, change %) glued to a stock name
_QUOTE_BOX = re.compile(r"[(（]\s*\d+(?:\.\d+)?\s*[,，]\s*[-+]?\d+(?:\.\d+)?\s*[,，]\s*[-+]?\d+(?:\.\d+)?%\s*[)）]")
_RANGE_HEAD = re.compile(rf"(?:^|[^\d.,])(?P<num>{_NUM})(?P<mag>{_MAG})?\s?(?:-|~|至|到|—|－)\s?$")
_PER_SHARE = re.compile(r"每股[^\d，。；,;]{0,6}$")
_RANGE_JOIN = re.compile(r"^\s?(?:-|~|至|到|—|－)\s?$")

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _dec(num: str) -> Decimal:
    return Decimal(num.replace(",", ""))


def _quantity(m: re.Match) -> Decimal:
    """The number of a `_QUANTITY` match with its magnitude words applied (1亿2000万 -> 120000000)."""
    g = m.groupdict()
    if g.get("num2"):
        return _dec(g["num"]) * _MAGNITUDE["亿"] + _dec(g["num2"]) * _MAGNITUDE[g["mag2"]]
    return _dec(g["num"]) * _MAGNITUDE[g.get("mag") or ""]


def cn_number(s: str) -> Decimal | None:
    """A small Chinese numeral (0..9999, optional 点 decimals): 三 -> 3, 十五 -> 15, 三点五 -> 3.5."""
    whole, _, frac = s.partition("点")
    total, digit = 0, None
    for ch in whole:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in "十百千":
            total += (1 if digit is None else digit) * {"十": 10, "百": 100, "千": 1000}[ch]
            digit = None
        else:
            return None
    total += digit or 0
    if not whole and not frac:
        return None
    if frac:
        if any(ch not in _CN_DIGITS for ch in frac):
            return None
        return Decimal(f"{total}.{''.join(str(_CN_DIGITS[ch]) for ch in frac)}")
    return Decimal(total)


def _value(kind: str, m: re.Match, value: Any, unit: str | None, **extra) -> dict:
    """A value dict from a match; the qualifier ("约", "不超过") is reported but kept out of the span."""
    qual = m.groupdict().get("qual")
    start = m.end("qual") if qual else m.start()
    out = {"kind": kind, "text": "", "start": start, "end": m.end(), "value": value, "unit": unit}
    if qual:
        out["qualifier"] = qual
    out.update(extra)
    return out


def _number(d: Decimal) -> float:
    return float(d)


def _amounts(text: str) -> list[dict]:
    out = []
    for m in _AMOUNT.finditer(text):
        cur, pre = m.group("cur"), m.group("pre")
        if not cur and not pre:
            continue  # a bare number: no currency, no amount (see _BARE_MONEY)
        surface = cur or {"HK$": "港元", "US$": "美元"}.get(pre, "人民币")
        code, factor = _CURRENCIES[surface]
        value = _quantity(m) * factor * (-1 if m.group("sign") else 1)
        extra = {"per": m.group("per")} if m.group("per") else {}
        out.append(_value("amount", m, _number(value), code, **extra))
    for m in _BARE_MONEY.finditer(text):
        value = _dec(m.group("num")) * _MAGNITUDE[m.group("mag")] * (-1 if m.group("sign") else 1)
        v = _value("amount", m, _number(value), None)
        v["start"] = m.end("qual") if m.group("qual") else m.start("sign") if m.group("sign") else m.start("num")
        out.append(v)
    return out


def _shares(text: str) -> list[dict]:
    return [_value("shares", m, _number(_quantity(m)), "股") for m in _SHARES.finditer(text)]


def _percents(text: str) -> list[dict]:
    out = []
    for m in _PERCENT.finditer(text):
        unit = "百分点" if m.group().endswith("百分点") else "%"
        out.append(_value("percent", m, _number(_dec(m.group("num")) * (-1 if m.group("sign") else 1)), unit))
    for m in _CN_PERCENT.finditer(text):
        n = cn_number(m.group("cn"))
        if n is not None:
            out.append(_value("percent", m, _number(n), "%"))
    return out


def _valid(y: int, mo: int, d: int) -> bool:
    try:
        date(y, mo, d)
        return True
    except ValueError:
        return False


def _dates(text: str, default_year: int | None) -> list[dict]:
    out = []
    for rx in (_DATE_FULL, _DATE_ISO):
        for m in rx.finditer(text):
            y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
            if _valid(y, mo, d):
                out.append(_value("date", m, f"{y:04d}-{mo:02d}-{d:02d}", "day"))
    for m in _DATE_YM.finditer(text):
        if 1 <= int(m["m"]) <= 12:
            out.append(_value("date", m, f"{int(m['y']):04d}-{int(m['m']):02d}", "month"))
    full = sorted((v["start"], int(v["value"][:4])) for v in out if v["unit"] == "day")
    for m in _DATE_MD.finditer(text):
        mo, d = int(m["m"]), int(m["d"])
        if not _valid(2000, mo, d):  # 2000 is a leap year: 2月29日 passes here
            continue
        # the year of the nearest full date before it: an announcement dates its events in one year
        before = [y for s, y in full if s < m.start()]
        year, inferred = (before[-1], True) if before else (default_year, False)
        if year is not None and _valid(year, mo, d):
            out.append(_value("date", m, f"{year:04d}-{mo:02d}-{d:02d}", "day", year_inferred=inferred or None))
        else:
            out.append(_value("date", m, f"{mo:02d}-{d:02d}", "day"))
    for v in out:
        if v.get("year_inferred") is None:
            v.pop("year_inferred", None)
    return out


def _select(found: list[dict]) -> list[dict]:
    """Non-overlapping values, longer spans first, then earlier; a date beats a number inside it."""
    rank = {"date": 0, "amount": 1, "shares": 1, "percent": 1}
    chosen: list[dict] = []
    taken = bytearray()
    for v in sorted(found, key=lambda v: (rank[v["kind"]], -(v["end"] - v["start"]), v["start"])):
        if len(taken) < v["end"]:
            taken.extend(b"\0" * (v["end"] - len(taken)))
        if any(taken[v["start"]:v["end"]]):
            continue
        taken[v["start"]:v["end"]] = b"\1" * (v["end"] - v["start"])
        chosen.append(v)
    return sorted(chosen, key=lambda v: v["start"])


def _merge_ranges(text: str, values: list[dict]) -> list[dict]:
    """"1-2亿元" / "3000万元至3500万元" / "3-5%" -> one value with `max`; dates stay separate (start, end)."""
    out: list[dict] = []
    for v in values:
        if v["kind"] == "date":
            out.append(v)
            continue
        prev = out[-1] if out else None
        if (prev and prev["kind"] == v["kind"] and prev.get("unit") == v.get("unit") and "max" not in prev
                and _RANGE_JOIN.match(text[prev["end"]:v["start"]])):
            prev.update(end=v["end"], max=v["value"])  # two full values joined by 至 / -
            continue
        window = max(0, v["start"] - 24)
        head = _RANGE_HEAD.search(text[window:v["start"]])
        if head and v["value"] >= 0 and (not prev or prev["end"] <= v["start"] - len(head.group().lstrip())):
            lo = _dec(head.group("num"))
            if head.group("mag"):
                lo *= _MAGNITUDE[head.group("mag")]
            else:  # "1-2亿元": the low end shares the high end's magnitude and currency
                lo = lo * Decimal(str(v["value"])) / _dec(re.search(_NUM, text[v["start"]:v["end"]]).group())
            start = window + head.start("num")
            v = {**v, "start": start, "value": _number(lo), "max": v["value"]}
            v.pop("qualifier", None)
        out.append(v)
    return out


def parse_values(text: str, default_year: int | None = None) -> list[dict]:
    """Typed values of `text` (see the module docstring), in order, with offsets into `text` itself."""
    if not text:
        return []
    norm = str(text).translate(_WIDTH)
    masked = _QUOTE_BOX.sub(lambda m: " " * len(m.group()), norm)  # same length: offsets are unchanged
    found = _dates(masked, default_year) + _amounts(masked) + _shares(masked) + _percents(masked)
    try:
        values = _merge_ranges(masked, _select(found))
    except (InvalidOperation, ZeroDivisionError, AttributeError):  # why: a range we misread is dropped, not fatal
        values = _select(found)
    for v in values:
        v["text"] = text[v["start"]:v["end"]]
        if v["kind"] == "amount" and "per" not in v and _PER_SHARE.search(masked[max(0, v["start"] - 10):v["start"]]):
            v["per"] = "股"  # "每股2.99港元", "每股回购价介乎1.48-1.50港元"
    return values
