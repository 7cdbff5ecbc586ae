"""`bbt extract ...`: train the event / causal extractors, run them and the announcement rules on a text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from bbt.cli.options import DataDir, ShowProgress

extract_app = typer.Typer(no_args_is_help=True)

_RESULTS_HELP = "Folder for the held-out report (<name>.json + .md; default: BBT_RESULTS_DIR or results)."


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def events_markdown(report: dict) -> str:
    """The held-out report of `train_events` as markdown tables."""
    from bbt.results import markdown_table

    s = report.get("holdout_scores", {})
    rows = [[name, str(s[key]["texts"]), _pct(s[key]["precision"]), _pct(s[key]["recall"]), _pct(s[key]["f1"])]
            for key, name in (("types_duee", "DuEE-fin types (finqa), held-out texts"),
                              ("types_duee_cv5", "DuEE-fin types, 5-fold CV on fit texts"),
                              ("types_finese", "finese types, held-out texts"), ("types_all", "all types, held-out"))
            if key in s]
    out = ["### Event types (micro P / R / F1, %)", "",
           markdown_table(["label set", "texts", "precision", "recall", "F1"], rows)]
    arg_rows = []
    if "roles" in s:
        r = s["roles"]
        arg_rows.append(["finqa role arguments (all)", str(r["questions"]), _pct(r["char_f1"]), _pct(r["exact"])])
        arg_rows.append(["finqa role arguments (gold has an answer)", str(r["answerable"]),
                         _pct(r["char_f1_answerable"]), "—"])
    if "finese_subject" in s:
        r = s["finese_subject"]
        arg_rows.append(["finese subjects", str(r["rows"]), _pct(r["char_f1"]), _pct(r["exact"])])
    if arg_rows:
        out += ["", "### Arguments (held-out, gold question, %)", "",
                markdown_table(["what", "questions", "char-F1", "exact"], arg_rows)]
    out += ["", _footer(report)]
    return "\n".join(out)


def causal_markdown(report: dict) -> str:
    """The held-out report of `train_causal` as markdown tables."""
    from bbt.results import markdown_table

    s = report.get("holdout_scores", {})
    out = []
    if "pairs" in s:
        p = s["pairs"]
        out += ["### Cause -> effect type pairs (micro P / R / F1, %)", "",
                markdown_table(["documents", "precision", "recall", "F1"],
                               [[str(p["documents"]), _pct(p["precision"]), _pct(p["recall"]), _pct(p["f1"])]])]
    if "arguments" in s:
        rows = [[k, str(v["questions"]), _pct(v["exact"]), _pct(v["char_f1"]), str(v["filled"]),
                 _pct(v["char_f1_filled"])] for k, v in s["arguments"].items()]
        m = s["arguments_mean"]
        rows.append(["all", str(sum(v["questions"] for v in s["arguments"].values())), _pct(m["exact"]),
                     _pct(m["char_f1"]), "", ""])
        out += ["", "### Arguments on the gold pairs (%; an empty gold slot is right only as no answer)", "",
                markdown_table(["argument", "questions", "exact", "char-F1", "gold filled", "char-F1 filled"], rows)]
    out += ["", _footer(report)]
    return "\n".join(out)


def _footer(report: dict) -> str:
    return (f"Held-out share {report.get('holdout')} of the train data (seed {report.get('seed')}), whole texts / "
            f"documents; fit {report.get('fit_seconds')} s, total {report.get('seconds')} s.")


def _write(results_dir: Path | None, name: str, report: dict, markdown: str) -> Path:
    from bbt.results import write_json, write_markdown
    from bbt.settings import get_settings

    folder = results_dir or get_settings().results_dir
    write_json(folder / f"{name}.json", report)
    write_markdown(folder / f"{name}.md", markdown)
    return folder / f"{name}.json"


@extract_app.command("train-events")
def train_events_cmd(
    out: Path = typer.Option(..., help="Directory for the model (events.joblib) and report.json."),
    data_dir: DataDir = None,
    limit: int = typer.Option(None, help="Only the first N train rows of finqa and finese (quick checks)."),
    holdout: float = typer.Option(0.1, help="Share of the train texts held out for the report."),
    results_dir: Path = typer.Option(None, help=_RESULTS_HELP),
    progress: ShowProgress = True,
) -> None:
    """Train the event extractor (DuEE-fin types + roles from finqa, finese types + subjects) on the train lists;
    write the held-out report to results/events_extract.{json,md}."""
    from rich.console import Console

    from bbt.extract.events import train_events
    from bbt.settings import resolve_data_dir

    report = train_events(resolve_data_dir(data_dir), out, progress=progress, limit=limit, holdout=holdout)
    md = events_markdown(report)
    path = _write(results_dir, "events_extract", report, md)
    Console().print(md, markup=False, highlight=False)
    Console().print(f"wrote {out}, {path} and {path.with_suffix('.md')}")


@extract_app.command("train-causal")
def train_causal_cmd(
    out: Path = typer.Option(..., help="Directory for the model (causal.joblib) and report.json."),
    data_dir: DataDir = None,
    limit: int = typer.Option(None, help="Only the first N causality documents and fincqa train rows."),
    holdout: float = typer.Option(0.1, help="Share of the causality documents held out for the report."),
    results_dir: Path = typer.Option(None, help=_RESULTS_HELP),
    progress: ShowProgress = True,
) -> None:
    """Train the causal extractor on kg/event_causality/ccks2021_raw.jsonl (+ fincqa train rows); write the
    held-out report to results/causal_extract.{json,md}."""
    from rich.console import Console

    from bbt.extract.causal import train_causal
    from bbt.settings import resolve_data_dir

    report = train_causal(resolve_data_dir(data_dir), out, progress=progress, limit=limit, holdout=holdout)
    md = causal_markdown(report)
    path = _write(results_dir, "causal_extract", report, md)
    Console().print(md, markup=False, highlight=False)
    Console().print(f"wrote {out}, {path} and {path.with_suffix('.md')}")


def _text(text: str) -> str:
    from bbt.errors import BBTError

    text = sys.stdin.read() if text == "-" else text
    if not text.strip():
        raise BBTError("the text is empty (pass it as an argument, or - to read it from stdin)")
    return text


def _print(obj) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2))


@extract_app.command("announcement")
def announcement_cmd(
    text: str = typer.Argument(..., help="Announcement text, or - to read it from stdin."),
    companies: Path = typer.Option(None, help="code,name CSV of listed companies (default: "
                                               "<data_dir>/stocks/stock_names.csv when there is one)."),
    data_dir: DataDir = None,
) -> None:
    """Company, announcement type, typed key fields and counterparties of one announcement, as JSON."""
    from bbt.extract.announcement import AnnouncementExtractor, load_company_names
    from bbt.settings import DataNotFoundError, resolve_data_dir

    if companies is None:
        try:
            default = resolve_data_dir(data_dir) / "stocks" / "stock_names.csv"
            companies = default if default.is_file() else None
        except DataNotFoundError:
            companies = None  # why: the rules work without a gazetteer (codes in the text still name companies)
    names = load_company_names(companies) if companies else None
    _print(AnnouncementExtractor(names).predict([_text(text)])[0])


@extract_app.command("events")
def events_cmd(
    text: str = typer.Argument(..., help="Text, or - to read it from stdin."),
    model: Path = typer.Option(..., help="Directory written by `bbt extract train-events`."),
) -> None:
    """Event records (type, source, subject, arguments, typed values) of one text, as JSON."""
    from bbt.extract.events import load_events

    _print(load_events(model).predict([_text(text)])[0])


@extract_app.command("causal")
def causal_cmd(
    text: str = typer.Argument(..., help="Text, or - to read it from stdin."),
    model: Path = typer.Option(..., help="Directory written by `bbt extract train-causal`."),
) -> None:
    """Cause -> effect records (type, product, region, industry of each side) of one text, as JSON."""
    from bbt.extract.causal import load_causal

    _print(load_causal(model).predict([_text(text)])[0])
