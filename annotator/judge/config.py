"""Judge configurations: a TOML file per judge (model, template, parser, price, ...).

Shipped judges live in ``annotator/judge/judges/<name>.toml``; a researcher's own judge is any
TOML file with the same keys, named by its path. A ``template`` is a name of a shipped
template (``annotator/judge/templates/<name>.txt``) or a path relative to the TOML file.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .baselines import BASELINES
from .parsers import PARSERS, POINTWISE_PARSERS, score_range, split_spec

GUIDANCE_DIRECTIONS = ("more", "less", "neutral")
# What one call of a judge looks at: the two responses ("pair", a verdict), each response
# alone ("response", a score per response), the instruction alone ("prompt"), or the
# pair's source document ("source"). Each scope's calls are made for these targets.
SCOPES = {"pair": ("",), "response": ("A", "B"), "prompt": ("prompt",), "source": ("source",)}


class JudgeConfigError(ValueError):
    """A judge file that cannot be used; the message names the file and the problem."""


@dataclass
class JudgeConfig:
    name: str
    description: str = ""
    kind: str = "llm"  # "llm" | "baseline"
    baseline: str = ""  # for kind = "baseline": "longest" | "shortest" | "random"
    seed: int = 0  # for the random baseline
    model: str = ""
    base_url: str = ""  # empty: $OPENAI_BASE_URL, else OpenAI
    api_key_env: str = "OPENAI_API_KEY"  # the name of the variable, never the key
    template: str = ""
    template_version: str = "1"
    parser: str = ""  # a parser spec: a name, or name:argument such as score:1-10
    scope: str = "pair"  # see SCOPES
    temperature: float = 0.0
    max_tokens: int = 1024
    logprobs: bool = False
    top_logprobs: int = 0
    both_orders: bool = True
    samples: int = 1
    request_timeout: float = 120.0  # seconds per request
    max_retries: int = 6  # on 408/409/429/5xx, timeouts and connection errors
    price_input: float | None = None  # USD per million prompt tokens
    price_output: float | None = None  # USD per million completion tokens
    batch_factor: float = 0.5  # price multiplier in Batch API mode
    guidance: dict[str, str] = field(default_factory=dict)  # factor key -> more|less|neutral
    # few-shot examples (``experiment guide --promote few-shot``): each a table with the pair's
    # id, prompt, response_a, response_b and the human answer (A | B | tie); see fewshot.py
    examples: list[dict[str, str]] = field(default_factory=list)
    example_chars: int = 2000  # a longer response in an example is cut (fewshot.DEFAULT_MAX_CHARS)
    provenance: dict[str, Any] = field(default_factory=dict)  # where a promoted judge came from
    source_path: str = ""  # the TOML file this came from

    @property
    def template_path(self) -> Path:
        return resolve_template(self.template, Path(self.source_path).parent if self.source_path else None)

    @property
    def pointwise(self) -> bool:
        return self.scope != "pair"

    @property
    def targets(self) -> tuple[str, ...]:
        return SCOPES[self.scope]

    def as_params(self) -> dict[str, Any]:
        """The configuration as stored in a run's params (no secrets: only the key's variable name)."""
        data = asdict(self)
        data.pop("source_path")
        data["examples"] = [{"pair_id": e["pair_id"], "human": e["human"]} for e in self.examples]  # ids, not texts
        return data


_TOP_KEYS = {
    "name", "description", "kind", "baseline", "seed", "model", "base_url", "api_key_env",
    "template", "template_version", "parser", "scope", "temperature", "max_tokens", "logprobs",
    "top_logprobs", "both_orders", "samples", "request_timeout", "max_retries", "price",
    "guidance", "examples", "example_chars", "provenance",
}
EXAMPLE_KEYS = ("pair_id", "prompt", "response_a", "response_b", "human")
_PRICE_KEYS = {"input", "output", "batch_factor"}


def shipped_judges_dir() -> Path:
    return Path(str(resources.files("annotator.judge") / "judges"))


def shipped_templates_dir() -> Path:
    return Path(str(resources.files("annotator.judge") / "templates"))


def shipped_judge_names() -> list[str]:
    return sorted(p.stem for p in shipped_judges_dir().glob("*.toml"))


def resolve_template(template: str, base_dir: Path | None) -> Path:
    """A shipped template by name, else a path (relative to the judge file's folder)."""
    shipped = shipped_templates_dir() / f"{template}.txt"
    if shipped.is_file():
        return shipped
    path = Path(template)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def load_judge(name_or_path: str) -> JudgeConfig:
    """A shipped judge by name, or a judge TOML file by path."""
    shipped = shipped_judges_dir() / f"{name_or_path}.toml"
    path = shipped if shipped.is_file() else Path(name_or_path)
    if not path.is_file():
        raise JudgeConfigError(
            f"no judge named {name_or_path!r}: not a shipped judge "
            f"({', '.join(shipped_judge_names())}) and no such file"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise JudgeConfigError(f"{path}: not valid TOML: {e}") from e
    return judge_from_dict(data, source=path)


def judge_from_dict(data: dict[str, Any], source: Path) -> JudgeConfig:
    where = str(source)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise JudgeConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; expected some of "
            f"{', '.join(sorted(_TOP_KEYS))}"
        )
    price = data.get("price", {})
    if not isinstance(price, dict) or set(price) - _PRICE_KEYS:
        raise JudgeConfigError(f"{where}: [price] takes only {', '.join(sorted(_PRICE_KEYS))}")
    guidance = data.get("guidance", {})
    if not isinstance(guidance, dict):
        raise JudgeConfigError(f"{where}: [guidance] must be a table of factor = direction")
    examples = data.get("examples", [])
    if not isinstance(examples, list) or not all(
            isinstance(e, dict) and set(e) == set(EXAMPLE_KEYS) and all(isinstance(v, str) for v in e.values())
            and e["human"] in ("A", "B", "tie") for e in examples):
        raise JudgeConfigError(f"{where}: examples must be [[examples]] tables with text keys "
                               f"{', '.join(EXAMPLE_KEYS)} (human: A, B or tie)")
    if not isinstance(data.get("provenance", {}), dict):
        raise JudgeConfigError(f"{where}: [provenance] must be a table")
    values = {k: v for k, v in data.items() if k not in ("price", "guidance")}
    values.setdefault("name", source.stem)
    try:
        config = JudgeConfig(
            **values,
            price_input=price.get("input"),
            price_output=price.get("output"),
            batch_factor=price.get("batch_factor", 0.5),
            guidance={str(k): str(v) for k, v in guidance.items()},
            source_path=str(source),
        )
    except TypeError as e:
        raise JudgeConfigError(f"{where}: {e}") from e
    validate(config)
    return config


def validate(config: JudgeConfig) -> None:
    where = config.source_path or config.name
    if config.kind == "baseline":
        if config.baseline not in BASELINES:
            raise JudgeConfigError(
                f"{where}: baseline must be one of {', '.join(BASELINES)}, found {config.baseline!r}"
            )
        return
    if config.kind != "llm":
        raise JudgeConfigError(f"{where}: kind must be 'llm' or 'baseline', found {config.kind!r}")
    if not config.template:
        raise JudgeConfigError(f"{where}: no template given")
    if not config.template_path.is_file():
        raise JudgeConfigError(f"{where}: template {config.template!r} not found ({config.template_path})")
    name, argument = split_spec(config.parser)
    if name not in PARSERS:
        raise JudgeConfigError(
            f"{where}: parser must be one of {', '.join(PARSERS)}, found {config.parser!r}"
        )
    if name == "score":
        try:
            score_range(argument)
        except ValueError as e:
            raise JudgeConfigError(f"{where}: parser {config.parser!r}: {e} (write e.g. parser = \"score:1-10\")") from e
    elif argument:
        raise JudgeConfigError(f"{where}: parser {name!r} takes no argument, found {config.parser!r}")
    if config.scope not in SCOPES:
        raise JudgeConfigError(f"{where}: scope must be one of {', '.join(SCOPES)}, found {config.scope!r}")
    if (config.scope == "pair") == (name in POINTWISE_PARSERS):
        kind = "a pointwise" if name in POINTWISE_PARSERS else "a pairwise"
        raise JudgeConfigError(
            f"{where}: parser {name!r} is {kind} parser, which does not fit scope {config.scope!r} "
            "(pairwise parsers need scope \"pair\"; score, yes-no, facts and fact-labels need "
            "\"response\", \"prompt\" or \"source\")"
        )
    if config.samples < 1:
        raise JudgeConfigError(f"{where}: samples must be at least 1")
    if config.max_tokens < 1:
        raise JudgeConfigError(f"{where}: max_tokens must be at least 1")
    for factor, direction in config.guidance.items():
        if direction not in GUIDANCE_DIRECTIONS:
            raise JudgeConfigError(
                f"{where}: guidance for {factor!r} must be one of {', '.join(GUIDANCE_DIRECTIONS)}, "
                f"found {direction!r}"
            )
