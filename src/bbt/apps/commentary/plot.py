"""`--plot`: the window (close + volume, the last 60 trading days) with the stated facts marked and the text
beside it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

from bbt.apps.commentary.template import Commentary
from bbt.results import atomic_path

MARK = {"limit": "^", "high": "v", "low": "^", "new_extreme": "*", "gap": "D", "ma_cross": "x", "volume": "s"}


def plot_commentary(series: pd.DataFrame, c: Commentary, out: str | Path, days: int = 60) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # why: headless servers and CI have no display
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    rows = series.tail(days)
    cjk = [f.name for f in font_manager.fontManager.ttflist
           if any(k in f.name for k in ("Noto Sans CJK", "WenQuanYi", "SimHei", "Source Han", "PingFang"))]
    if cjk:
        plt.rcParams["font.family"] = cjk[0]
    fig = plt.figure(figsize=(12, 5))
    ax = fig.add_axes([0.05, 0.35, 0.58, 0.6])
    axv = fig.add_axes([0.05, 0.08, 0.58, 0.22], sharex=ax)
    ax.plot(rows["date"], rows["close"], color="black", lw=1.2, label="close")
    axv.bar(rows["date"], rows["volume"], color="grey", width=0.8)
    by_day = rows.set_index(pd.to_datetime(rows["date"]).dt.normalize())
    for f in c.facts:
        day = pd.Timestamp(f.date)
        if f.kind in MARK and day in by_day.index:
            y = by_day.loc[day, "high" if f.kind == "high" else "low" if f.kind == "low" else "close"]
            ax.scatter([day], [y], marker=MARK[f.kind], s=70, zorder=3, label=f"{f.kind} {f.direction}".strip())
    ax.legend(loc="upper left", fontsize=8)
    ax.set_ylabel("close")
    axv.set_ylabel("volume")
    text_ax = fig.add_axes([0.66, 0.08, 0.32, 0.87])
    text_ax.axis("off")
    facts = "\n".join(f"- {f.kind} {f.window}d {f.direction} {f.value:.4g} ({f.date})" for f in c.facts)
    # why the fallback: without a CJK font the Chinese text would draw as boxes; the facts it states still read
    body = ("\n".join(textwrap.wrap(c.text, 22)) if cjk else "(no CJK font installed; text in the JSON)") + \
        "\n\nfacts stated:\n" + facts
    text_ax.text(0, 1, body, va="top", fontsize=10)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return out
