"""The template realiser on real windows: every claim verified, at least 3 facts stated, both voices, the plot."""

import pytest

from bbt.apps.commentary import realise
from bbt.apps.commentary.plot import plot_commentary
from bbt.apps.commentary.service import write_commentary
from bbt.data import load_market_file
from bbt.errors import BBTError
from bbt.ts.facts import window_facts


@pytest.fixture(scope="module")
def frame(data_dir):
    return load_market_file(sorted((data_dir / "stocks" / "ashare_qfq").glob("*.csv"))[0])


def test_every_claim_of_the_template_is_verified_on_real_windows(frame):
    code = frame.attrs["code"]
    ends = frame["date"].iloc[300::97].tolist()[:30]
    for end in ends:
        wf = window_facts(frame, end, code=code)
        for style in ("analyst", "retail"):
            c = realise(wf, style)
            assert c.claims and all(cl.verdict == "verified" for cl in c.claims), (end, style, c.text)
            assert not c.dropped and len(c.facts) >= 3, (end, style, c.text)
            assert all(c.text[cl.start:cl.end] == cl.text for cl in c.claims)
    assert realise(wf, "analyst").text == realise(wf, "analyst").text  # the same window reads the same


def test_the_answer_and_the_plot(frame, tmp_path):
    end = frame["date"].iloc[-40]
    answer, c, rows = write_commentary(frame, end, "retail", code=frame.attrs["code"])
    assert answer["end"] == end.date().isoformat() and rows["date"].max() == end
    assert answer["summary"]["precision"] == 1.0 and answer["summary"]["facts_used_covered"] >= 3
    out = plot_commentary(rows, c, tmp_path / "c.png")
    assert out.stat().st_size > 10_000 and out.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(BBTError, match="style"):
        realise(window_facts(frame, end), "poet")
