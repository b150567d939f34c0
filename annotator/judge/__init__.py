"""LLM judges: run any judge over a task's pairs, reproducibly, cheaply and fast.

Judges are data (``judges/<name>.toml`` + ``templates/<name>.txt``), parsed by the parser
named in the config; the runner talks to OpenAI or any OpenAI-compatible server: online over
one aiohttp session (``transport``), the Batch API through the official ``openai`` client.
Planning (calls, cache, budget) is ``planning``; the online runner ``runner``; ``judge route``
``route``. Never imports Textual.
"""

from .config import JudgeConfig, JudgeConfigError, load_judge, shipped_judge_names
from .credentials import Endpoint, MissingCredentials, resolve_endpoint
from .planning import RunError, RunOptions, RunReport, estimate, prepare
from .runner import reparse, run_baseline, run_online

__all__ = [
    "Endpoint", "JudgeConfig", "JudgeConfigError", "MissingCredentials", "RunError", "RunOptions",
    "RunReport", "estimate", "load_judge", "prepare", "reparse", "resolve_endpoint", "run_baseline",
    "run_online", "shipped_judge_names",
]
