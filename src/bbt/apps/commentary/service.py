"""One call from a price series to a checked commentary: facts -> writer -> claims, as the CLI and the API return
it."""

from __future__ import annotations

import pandas as pd

from bbt.apps.commentary.template import realise
from bbt.ts.claims import summarise
from bbt.ts.facts import window_facts


def write_commentary(frame: pd.DataFrame, end, style: str = "analyst", code: str | None = None,
                     name: str | None = None, st: bool = False) -> tuple[dict, object, pd.DataFrame]:
    """(the answer, the Commentary, the rows read). The answer: text, the facts used and all facts of the window,
    the claims with their offsets and verdicts, and the claim totals."""
    wf = window_facts(frame, end, code=code, st=st)
    c = realise(wf, style, name=name)
    used = {f.id for f in c.facts}
    covered = {cl.fact for cl in c.claims if cl.verdict == "verified" and cl.fact}
    answer = {"code": code, "name": name, "end": wf.end, "close": wf.close, "style": style, "writer": "template",
              "text": c.text, "claims": [cl.to_dict() for cl in c.claims],
              "facts_used": [f.to_dict() for f in c.facts], "facts": wf.to_dict()["facts"],
              "summary": {**summarise(c.claims), "facts_used": len(used),
                          "facts_used_covered": len(used & covered), "dropped_sentences": len(c.dropped)}}
    return answer, c, wf.series
