"""Request and response bodies of every route (pydantic), with the examples the OpenAPI page shows.

Static shape rules live here (types, non-empty batches, finite numbers); the size limits that an operator
configures (characters per text, items per batch, series length) are checked per request in `limits.py`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

_FORUM = "这只股票今天又跌停了，散户被割韭菜，太惨了"
_NEWS = "贵州茅台(600519)发布公告，公司2019年实现营业收入888.54亿元，同比增长15.10%，净利润412.06亿元。"
_ANN = ("科远股份(002380)公告，公司股东刘国耀将其持有的1050.3万股质押给华泰证券股份有限公司，占其所持股份的"
        "30.00%，质押融资1.2亿元，质押日期为2019年8月20日。")


def _encodable(s: str) -> str:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800": JSON allows it, UTF-8 cannot carry it
        raise ValueError("text holds an unpaired surrogate (invalid Unicode)") from None
    return s


Text = Annotated[str, AfterValidator(_encodable)]
# why: names become CSV-like column labels in the decomposition ("close__low"), so "__" and odd characters are out
def _series_name(s: str) -> str:
    if "__" in s:
        raise ValueError("a series name must not contain '__'")
    return s


SeriesName = Annotated[str, StringConstraints(pattern=r"^[\w.\-]{1,64}$"), AfterValidator(_series_name)]


class Strict(BaseModel):
    # extra=forbid: a misspelt field is an error, not silently ignored; strict: "5" is not a number, true not 1.0
    model_config = ConfigDict(extra="forbid", strict=True)


class TextsRequest(Strict):
    texts: list[Text] = Field(min_length=1, description="One or more texts; each is answered in order.",
                             examples=[[_FORUM]])


# --- sentiment ---------------------------------------------------------------------------------------------
SentimentLabel = Literal["negative", "neutral", "positive"]


class SentimentResult(BaseModel):
    label: SentimentLabel
    probs: dict[str, float] = Field(description="Probability of each label (sums to 1).")


class SentimentResponse(BaseModel):
    results: list[SentimentResult]
    model: str


# --- news classification -----------------------------------------------------------------------------------
class NewsClassResult(BaseModel):
    labels: list[str] = Field(description="The chosen categories (always at least one).")
    scores: dict[str, float] = Field(description="A score in (0, 1) per category; > 0.5 means chosen.")


class NewsClassResponse(BaseModel):
    results: list[NewsClassResult]
    model: str


# --- summarisation -----------------------------------------------------------------------------------------
class SummaryResult(BaseModel):
    summary: str


class SummaryResponse(BaseModel):
    results: list[SummaryResult]
    model: str


# --- NER -----------------------------------------------------------------------------------------------------
class Entity(BaseModel):
    text: str
    type: Literal["公司", "人物", "行业/领域", "产品", "政府机构", "国家/地区", "政策/文件", "头衔/职务", "其他机构", "会议",
                  "地址"] = Field(description="One of the 11 FinNER types.")
    start: int = Field(description="Character offset of the first character.")
    end: int = Field(description="Character offset after the last character: text[start:end] == entity text.")


class NERResult(BaseModel):
    entities: list[Entity]


class NERResponse(BaseModel):
    results: list[NERResult]
    model: str


# --- relations -----------------------------------------------------------------------------------------------
class RelationItem(Strict):
    text: Text
    head: Text | None = Field(None, description="First entity; give both or neither (neither = NER pairs).")
    tail: Text | None = None


class RelationsRequest(Strict):
    items: list[RelationItem] = Field(min_length=1, examples=[[
        {"text": "东方航空AH股临时停牌传将与上航合并", "head": "东方航空", "tail": "上航"}]])
    include_unknown: bool = Field(False, description="Also list pairs whose relation is `unknown`.")


class Relation(BaseModel):
    head: str
    tail: str
    relation: str


class RelationsResult(BaseModel):
    relations: list[Relation]


class RelationsResponse(BaseModel):
    results: list[RelationsResult]
    model: str


class TypedValue(BaseModel):
    kind: str = Field(description="amount, shares, percent or date")
    text: str
    start: int | None = Field(description="Offset in the input text (text[start:end] == this text); None when an "
                                          "event argument's value does not occur verbatim in it.")
    end: int | None
    value: float | str = Field(description="Amounts in the currency's base unit, shares as a count, dates ISO.")
    unit: str | None = None
    role: str | None = None
    max: float | str | None = Field(None, description="Upper end of a range (3000万元至3500万元).")
    qualifier: str | None = None
    per: str | None = Field(None, description="Unit the value is per (每股 -> 股).")
    year_inferred: bool | None = None


# --- events ----------------------------------------------------------------------------------------------------
class Event(BaseModel):
    type: str
    source: str = Field(description="Schema the type comes from: duee (DuEE-fin) or finese (negative events).")
    subject: str | None = None
    arguments: dict[str, str] = Field(default_factory=dict, description="Role -> the text that fills it.")
    values: dict[str, list[TypedValue]] = Field(default_factory=dict, description="Role -> typed values in it.")


class EventsResult(BaseModel):
    events: list[Event]


class EventsResponse(BaseModel):
    results: list[EventsResult]
    model: str


# --- causal events ------------------------------------------------------------------------------------------
class CausalSide(BaseModel):
    type: str
    product: str | None = None
    region: str | None = None
    industry: str | None = None


class CausalPair(BaseModel):
    cause: CausalSide
    effect: CausalSide


class CausalResult(BaseModel):
    causal: list[CausalPair]


class CausalResponse(BaseModel):
    results: list[CausalResult]
    model: str


# --- announcements ------------------------------------------------------------------------------------------
class AnnouncementRequest(Strict):
    texts: list[Text] = Field(min_length=1, examples=[[_ANN]])


class Company(BaseModel):
    name: str = Field(description="The company's current name in the knowledge graph.")
    code: str | None = None
    mention: str | None = Field(None, description="The name as written in the text.")


class AnnouncementResult(BaseModel):
    company: Company | None
    type: str
    type_scores: dict[str, float] = {}
    fields: list[TypedValue]
    counterparties: list[str]


class AnnouncementResponse(BaseModel):
    results: list[AnnouncementResult]
    model: str


# --- negative news -----------------------------------------------------------------------------------------
class NegativeItem(Strict):
    text: Text
    title: Text = ""
    entities: list[Text] | None = Field(None, description="Candidate subjects (without ';'); omitted = found by NER.")


class NegativeRequest(Strict):
    items: list[NegativeItem] = Field(min_length=1, examples=[[
        {"text": "今年4月，重庆市反诈骗中心民警发现一条疑似诈骗线索：一家名为北银创投的公司涉嫌网络贷款诈骗犯罪",
         "entities": ["网络贷", "北银创投"]}]])


class NegativeResult(BaseModel):
    negative: bool
    subjects: list[str] = Field(description="The candidates the negative news is about.")
    candidates: list[str]


class NegativeResponse(BaseModel):
    results: list[NegativeResult]
    model: str


# --- knowledge graph ----------------------------------------------------------------------------------------
class CompaniesRequest(Strict):
    queries: list[Text] = Field(min_length=1, description="Codes (600519, 600519.SH) or names.",
                               examples=[["000001", "贵州茅台"]])


class Holder(BaseModel):
    name: str
    amount: float | None = None
    ratio: float | None = None
    end_date: str | None = None


class Executive(BaseModel):
    name: str
    jobs: str | None = None
    gender: str | None = None
    age: int | None = None


class CompanyProfile(BaseModel):
    code: str
    ts_code: str | None = None
    name: str
    industry: str | None = None
    area: str | None = None
    listing_date: str | None = None
    exchange: str | None = None
    aliases: list[str] = Field([], description="Short and former names the company is also found by.")
    concepts: list[str] = []
    executives: list[Executive] = []
    top_holders: list[Holder] = []


class CompanyResult(BaseModel):
    query: str
    found: bool
    profile: CompanyProfile | None


class CompaniesResponse(BaseModel):
    results: list[CompanyResult]


class SearchRequest(Strict):
    queries: list[Text] = Field(min_length=1, examples=[["平安"]])
    limit: int = Field(10, ge=1, le=100)
    types: list[Literal["company", "person", "industry", "concept", "holder"]] | None = None


class SearchHit(BaseModel):
    type: str
    name: str
    key: str
    code: str | None = None


class SearchResult(BaseModel):
    query: str
    hits: list[SearchHit]


class SearchResponse(BaseModel):
    results: list[SearchResult]


# --- forecasting ----------------------------------------------------------------------------------------------
class ForecastItem(Strict):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)  # why: NaN/inf parse from JSON but are no data
    series: dict[SeriesName, list[float]] = Field(
        min_length=1, description="One or more named series of equal length, oldest value first (e.g. close); "
                                  "names: letters, digits, '.', '-', '_' (not '__'), at most 64.",
        examples=[{"close": [10.0, 10.2, 10.1, 10.4, 10.3, 10.6, 10.5, 10.8] * 8}])
    horizon: int = Field(5, ge=1, description="Steps to forecast (at most the model's horizon).")
    decompose: bool = Field(True, description="Also return the DWT-ST2Vec decomposition of the look-back window.")


class ForecastRequest(Strict):
    items: list[ForecastItem] = Field(min_length=1)


class ForecastResult(BaseModel):
    forecast: dict[str, list[float]]
    model: str
    lookback: int = Field(description="How many of the last values the forecast read.")
    decomposition: dict[str, dict[str, list[float]]] | None = Field(
        None, description="Per series: low/high (wavelet), global/local (cross-series), trend/period parts.")


class ForecastResponse(BaseModel):
    results: list[ForecastResult]


# --- commentary -----------------------------------------------------------------------------------------------
class Bar(Strict):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    date: str = Field(description="Trading day, YYYY-MM-DD.", examples=["2020-07-03"])
    # why the bounds: ratios of prices must stay finite (a price of 1e-300 against 1e300 overflows)
    open: float = Field(ge=1e-6, le=1e15)
    high: float = Field(ge=1e-6, le=1e15)
    low: float = Field(ge=1e-6, le=1e15)
    close: float = Field(ge=1e-6, le=1e15)
    volume: float = Field(ge=0, le=1e18)


class CommentaryRequest(Strict):
    series: list[Bar] | None = Field(None, description="Daily bars, oldest first (at least 21); or give `code` "
                                                       "and the history is read from the service's data directory.")
    code: str | None = Field(None, description="Stock code (sets the board's price limits; with no series, which "
                                               "history to read).", examples=["600519"])
    end: str | None = Field(None, description="End date: only bars up to and including it are read (default: the "
                                              "last bar).", examples=["2020-07-03"])
    style: Literal["analyst", "retail"] = Field("analyst", description="analyst: news / report voice; retail: "
                                                                       "forum voice.")


class Claim(BaseModel):
    start: int = Field(description="Character offset of the claim in `text` (end exclusive).")
    end: int
    text: str
    kind: str
    stated: dict
    actual: dict = Field(description="What the series says.")
    verdict: Literal["verified", "wrong", "contradicted", "unverifiable"]
    fact: str = Field(description="The id of the fact the claim states ('' when none).")


class Fact(BaseModel):
    id: str
    kind: str
    window: int
    direction: str
    value: float
    date: str
    salience: float
    extra: dict


class CommentaryResponse(BaseModel):
    text: str
    style: str
    writer: str = Field(description="Who wrote the text: template (the realiser) or a model.")
    code: str | None
    name: str | None
    end: str = Field(description="The last trading day read.")
    close: float
    claims: list[Claim]
    facts_used: list[Fact] = Field(description="The facts the text states.")
    facts: list[Fact] = Field(description="Every fact of the window, most salient first.")
    summary: dict


# --- errors and health ---------------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    type: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail
    errors: list[ErrorDetail] = []
    request_id: str | None = None


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Ready(BaseModel):
    ready: bool
    capabilities: dict[str, str] = Field(description="Capability -> the model behind it (empty without a valid key).")
