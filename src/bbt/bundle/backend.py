"""`bundle:DIR`: the harness scores exactly what a model bundle serves, through the API's own capability functions.

Each FinCUGE task the API serves is mapped to its capability: the eval row becomes the request items a client
would send (`Bundle.functions()`, the functions the HTTP routes call), and the response becomes the task's target
text again, which the harness parses and scores as for any model. So a leaderboard row of `bundle:DIR` is the
API as deployed, whatever engine the bundle chose per capability. finese, finqa and fincqa have no capability of
their own and are not served; asking for them is an error (`--tasks all` means the served tasks).
"""

from __future__ import annotations

from pathlib import Path

from bbt.errors import BBTError
from bbt.eval.backends.base import register_backend
from bbt.tasks import SEP, Example, Task
from bbt.tasks.entities import PAIR_SEP

CAPABILITY_OF = {"finfe": "forum_sentiment", "finne": "news_sentiment", "finnl": "news_classify",
                 "finre": "relations", "finnsp": "negative_news", "finna": "summarize", "finner": "ner"}


@register_backend("bundle", "bundle:DIR (what a model bundle serves)")
class BundleBackend:
    tasks = tuple(CAPABILITY_OF)  # the tasks this backend answers (`--tasks all` = these)

    def __init__(self, path: str):
        from bbt.bundle.runtime import load_bundle

        p = Path(path).expanduser()
        if not p.is_dir():
            raise BBTError(f"bundle directory not found: {p}")
        self.path = p.resolve()
        self.name = f"bundle:{self.path}"
        self.bundle = load_bundle(self.path)
        self.functions = self.bundle.functions()

    @classmethod
    def from_spec(cls, rest: str) -> "BundleBackend":
        if not rest:
            raise BBTError("bundle: needs the bundle directory, e.g. bundle:~/.cache/bbt/bundle")
        return cls(rest)

    def generate(self, task: Task, examples: list[Example]) -> list[str]:
        if task.name not in CAPABILITY_OF:
            raise BBTError(f"a bundle serves no capability for {task.name}; bundle: answers "
                           f"{', '.join(CAPABILITY_OF)}")
        call = self.functions[CAPABILITY_OF[task.name]]
        f = [e.fields for e in examples]
        if task.name in ("finfe", "finne"):
            from bbt.bundle.runtime import SENTIMENT_NAMES

            back = {v: k for k, v in SENTIMENT_NAMES.items()}
            return [back.get(r["label"], r["label"]) for r in call([x["text"] for x in f])]
        if task.name == "finnl":
            return [SEP.join(r["labels"]) for r in call([x["text"] for x in f])]
        if task.name == "finna":
            return [r["summary"] for r in call([x["text"] for x in f])]
        if task.name == "finner":
            return [PAIR_SEP.join(dict.fromkeys(f"{e['text']}:{e['type']}" for e in r["entities"])) or task.none
                    for r in call([x["text"] for x in f])]
        if task.name == "finre":
            res = call([({"text": x["text"], "head": x["head"], "tail": x["tail"]}, True) for x in f])
            return [task.words.get(r["relations"][0]["relation"], r["relations"][0]["relation"])
                    if r["relations"] else task.words.get("unknown", "unknown") for r in res]
        # finnsp
        res = call([{"title": x["title"], "text": x["text"], "entities": list(x["entities"])} for x in f])
        return [(f"是：{SEP.join(r['subjects'])}" if r["subjects"] else "是") if r["negative"] else "否" for r in res]
