"""`openai:URL[#MODEL]`: any OpenAI-compatible chat-completions server (vLLM, llama.cpp, OpenAI, ...).

Sends the task's instruction as one user message, temperature 0, a few requests at a time; retries with
exponential backoff on 429, 5xx and connection errors. Model: `#MODEL` in the spec, else BBT_OPENAI_MODEL, else the
server's only model (GET /models). Key: OPENAI_API_KEY or BBT_OPENAI_API_KEY (optional for local servers).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bbt.errors import BBTError
from bbt.eval.backends.base import register_backend
from bbt.tasks import Example, Task

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@register_backend("openai", "openai:URL[#MODEL]")
class OpenAIBackend:
    @classmethod
    def from_spec(cls, rest: str) -> "OpenAIBackend":
        url, _, model = rest.partition("#")
        return cls(url, model or None)

    def __init__(self, url: str, model: str | None = None, api_key: str | None = None, concurrency: int = 8,
                 timeout: float = 120.0, retries: int = 5, backoff: float = 1.0, extra_tokens: int = 32):
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise BBTError(f"openai:{url}: expected an http(s) URL such as http://127.0.0.1:8000/v1")
        self.url = url
        self.concurrency, self.retries, self.backoff = max(1, concurrency), retries, backoff
        self.extra_tokens = extra_tokens  # why: chat models may add a word or two around the answer; parse copes
        key = api_key or os.environ.get("OPENAI_API_KEY") or os.environ.get("BBT_OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = httpx.Client(headers=headers, timeout=timeout)
        self.model = model or os.environ.get("BBT_OPENAI_MODEL") or self._only_model()
        self.name = f"openai:{self.url}#{self.model}"

    def _request(self, method: str, path: str, **kw) -> dict:
        err = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                r = self.client.request(method, self.url + path, **kw)
            except httpx.TransportError as e:  # connection refused, reset, timeout: worth another try
                err = f"{type(e).__name__}: {e}"
                continue
            if r.status_code in RETRY_STATUS:
                err = f"HTTP {r.status_code}: {r.text[:200]}"
                wait = r.headers.get("retry-after", "")
                if wait.replace(".", "", 1).isdigit():
                    time.sleep(min(float(wait), 60.0))
                continue
            if r.status_code >= 400:
                raise BBTError(f"{self.url}{path}: HTTP {r.status_code}: {r.text[:300]}")
            try:
                return r.json()
            except ValueError:
                raise BBTError(f"{self.url}{path}: the reply is not JSON: {r.text[:200]!r}") from None
        raise BBTError(f"{self.url}{path}: gave up after {self.retries + 1} tries ({err})")

    def _only_model(self) -> str:
        ids = [m.get("id") for m in self._request("GET", "/models").get("data", []) if isinstance(m, dict)]
        if len(ids) != 1:
            raise BBTError(f"{self.url}: name the model as openai:URL#MODEL or BBT_OPENAI_MODEL "
                           f"(the server lists {len(ids)}: {', '.join(map(str, ids[:10]))})")
        return str(ids[0])

    def prompt(self, task: Task, example: Example) -> str:
        return task.instruction(example)

    def complete(self, text: str, max_tokens: int) -> str:
        """One chat completion of `text` (temperature 0), with the retries of `_request`."""
        body = {"model": self.model, "messages": [{"role": "user", "content": text}], "temperature": 0,
                "max_tokens": max_tokens}
        reply = self._request("POST", "/chat/completions", json=body)
        try:
            return str(reply["choices"][0]["message"]["content"] or "").strip()
        except (KeyError, IndexError, TypeError):
            raise BBTError(f"{self.url}/chat/completions: unexpected reply {str(reply)[:200]}") from None

    def generate(self, task: Task, examples: list[Example]) -> list[str]:
        texts = [self.prompt(task, ex) for ex in examples]
        budget = task.max_new_tokens + self.extra_tokens
        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(texts)))) as pool:
            return list(pool.map(lambda t: self.complete(t, budget), texts))
