"""Markdown table and forecast-vs-actual plot of the stock benchmark."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bbt.results import atomic_path, markdown_table, mean_std  # noqa: E402


def _pm(m: dict, k: str, fmt: str) -> str:
    return mean_std(m, k, fmt, sep=" ± ")


def _vs(result: dict, key: str, name: str) -> list[str]:
    change, wins = result.get(f"vs_{key}", {}), result.get(f"share_of_stocks_beating_{key}", {})
    if name not in change:
        return ["—", "—"]
    return [f"{change[name]:+.1f}%", f"{100 * wins[name]:.0f}%"]


def stock_markdown(result: dict) -> str:
    p = result["protocol"]
    rows = []
    for name, m in result["models"].items():
        rows.append([
            name, _pm(m, "MSE", ".4f"), _pm(m, "RMSE", ".4f"), _pm(m, "MAE", ".4f"), _pm(m, "MAPE", ".3f"),
            _pm(m, "R2", ".4f"), format(m["score"], ".3f"),
            f"{result['vs_transformer'][name]:+.1f}%" if name in result["vs_transformer"] else "—",
            f"{100 * result['share_of_stocks_beating_transformer'][name]:.0f}%"
            if name in result["share_of_stocks_beating_transformer"] else "—",
            *_vs(result, "naive_close_mape", name),
            str(m["seeds"]),
        ])
    head = ["model", "MSE", "RMSE", "MAE", "MAPE %", "R²", "score", "ΔMSE vs transformer",
            "stocks beating transformer", "ΔMAPE vs naive_close", "stocks beating naive_close (MAPE)", "seeds"]
    title = (f"Stock benchmark: {p['n_stocks']} A-shares, train days {p['train_days']}, test days {p['test_days']}, "
             f"look-back {p['seq_len']}, horizon {p['horizon']}; price scale, mean over stocks (± std over seeds).")
    return f"{title}\n\n{markdown_table(head, rows)}\n\nWall time: {result['wall_seconds']:.0f} s.\n"


def plot_forecasts(actual: dict, dates: dict, preds: dict, out_png: Path) -> None:
    """One panel per stock: actual opening prices over the test days and each model's forecast."""
    codes = list(actual)
    if not codes:
        return
    fig, axes = plt.subplots(len(codes), 1, figsize=(11, 3.2 * len(codes)), squeeze=False)
    for ax, code in zip(axes[:, 0], codes):
        ax.plot(dates[code], actual[code], color="black", lw=1.6, label="actual open")
        for name, p in preds.items():
            ax.plot(dates[code], p[code], lw=0.9, label=name, alpha=0.85)
        ax.set_title(f"{code}: test days, one-step forecasts of the open")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(ncol=3, fontsize=8)
    fig.tight_layout()
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
