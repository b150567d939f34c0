"""``[data] path = "hf://ORG/NAME"``: a Hugging Face dataset, read from the local cache.

The dataset is found through ``huggingface_hub`` (the optional extra ``annotator[hf]``) in
its own cache layout (``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else ``~/.cache/huggingface/
hub``: ``datasets--ORG--NAME/refs/<revision>`` and ``snapshots/<commit>/...``), so a cached
dataset loads offline. When it is not cached, it is fetched, unless ``HF_HUB_OFFLINE`` is set;
a dataset neither cached nor fetchable is one line saying what, where it looked and how to
fetch it.

Which files: the dataset card's ``configs`` (``README.md`` YAML front matter: each config's
``data_files``, per split) when it has them; else the Hub's own conventions: data files
(Parquet, JSON Lines, JSON, CSV, TSV, optionally gzipped) under the config's folder (when
``config`` is given) whose path names the split (a folder ``train/`` or a file name starting
``train`` followed by ``-``, ``_``, ``.`` or a digit); a dataset whose files name no split is
all ``train``. Keys: ``split`` (default ``"train"``), ``config`` (default: the card's default
config, else none), ``revision`` (a branch, tag or commit; default ``"main"``).
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import Any

from .errors import TaskFileError, describe

HUB_KEYS = {"split", "config", "revision"}
PREFIX = "hf://"
DATA_SUFFIXES = (".parquet", ".jsonl", ".ndjson", ".json", ".csv", ".tsv")
SPLITS = ("train", "validation", "valid", "dev", "test", "eval", "evaluation")


def is_hub(raw: Any) -> bool:
    return isinstance(raw, str) and raw.startswith(PREFIX)


def _repo(raw: str, where: str) -> str:
    repo = raw[len(PREFIX):].strip("/")
    if repo.startswith("datasets/"):
        repo = repo[len("datasets/"):]
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise TaskFileError(where, "hf://ORG/NAME (a dataset on the Hugging Face Hub)", repr(raw))
    return repo


def cache_dir() -> Path:
    """Where huggingface_hub keeps its cache, read from the environment now (not at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path("~/.cache/huggingface/hub").expanduser()


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def snapshot(repo: str, revision: str, where: str) -> Path:
    """The dataset's snapshot folder in the cache (fetched when missing, unless offline)."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise TaskFileError(where, "huggingface_hub to read hf:// datasets (pip install 'annotator[hf]')",
                            "it is not installed") from None
    folder = cache_dir()
    how = (f"fetch it with `hf download {repo} --repo-type dataset --revision {revision}` "
           "(or point HF_HUB_CACHE at the cache that holds it)")
    try:
        return Path(snapshot_download(repo, repo_type="dataset", revision=revision, cache_dir=folder,
                                      local_files_only=True))
    except Exception as e:  # noqa: BLE001  (LocalEntryNotFoundError and friends: not cached)
        cached_error = e
    if _offline():
        raise TaskFileError(where, f"dataset {repo} (revision {revision}) in the Hugging Face cache",
                            f"not cached in {folder} and HF_HUB_OFFLINE is set: {how}")
    try:
        return Path(snapshot_download(repo, repo_type="dataset", revision=revision, cache_dir=folder))
    except Exception as e:  # noqa: BLE001  (no network, no such dataset, gated: all one message)
        reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise TaskFileError(where, f"dataset {repo} (revision {revision}) in the Hugging Face cache or fetchable",
                            f"not cached in {folder} ({type(cached_error).__name__}) and not fetchable "
                            f"({reason}): {how}") from None


def _card_configs(folder: Path) -> list[dict[str, Any]]:
    readme = folder / "README.md"
    if not readme.is_file():
        return []
    from huggingface_hub import DatasetCard

    try:
        data = DatasetCard.load(readme).data.to_dict()
    except Exception:  # noqa: BLE001  (a card without valid YAML: fall back to the conventions)
        return []
    configs = data.get("configs") or []
    return [c for c in configs if isinstance(c, dict)]


def _data_files(folder: Path) -> list[str]:
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        name = path.name[:-3] if path.name.endswith(".gz") else path.name
        if path.is_file() and name.endswith(DATA_SUFFIXES) and not rel.startswith(".") and "/." not in rel:
            out.append(rel)
    return out


def _names_split(rel: str, split: str) -> bool:
    parts = rel.split("/")
    if split in parts[:-1]:
        return True
    return re.match(rf"{re.escape(split)}([-_.0-9]|$)", parts[-1]) is not None


def _from_card(configs: list[dict[str, Any]], config: str | None, split: str, files: list[str],
               where: str) -> list[str] | None:
    if config is None:
        chosen = next((c for c in configs if c.get("default")), None) or next(
            (c for c in configs if c.get("config_name") == "default"), None) or configs[0]
    else:
        chosen = next((c for c in configs if c.get("config_name") == config), None)
        if chosen is None:
            names = ", ".join(str(c.get("config_name")) for c in configs)
            raise TaskFileError(f"{where} config", f"a config of the dataset card ({names})", repr(config))
    data_files = chosen.get("data_files")
    if isinstance(data_files, (str, list)) and (isinstance(data_files, str) or all(isinstance(d, str) for d in data_files)):
        patterns = {"train": [data_files] if isinstance(data_files, str) else data_files}
    elif isinstance(data_files, list):
        patterns = {}
        for entry in data_files:
            if isinstance(entry, dict) and "split" in entry:
                paths = entry.get("path", [])
                patterns[str(entry["split"])] = [paths] if isinstance(paths, str) else list(paths)
    else:
        return None
    if split not in patterns:
        raise TaskFileError(f"{where} split", f"a split of config {chosen.get('config_name')!r} "
                            f"({', '.join(patterns)})", repr(split))
    return [f for f in files if any(fnmatch.fnmatch(f, p) for p in patterns[split])]


def hub_files(data: dict[str, Any], where: str) -> list[Path]:
    """The cached files of ``[data] path = "hf://ORG/NAME"`` for its split, config and revision."""
    from .taskfile import DATA_KEYS, PAIR_FIELDS, refuse_unknown_keys

    # a misspelt key is reported before the cache (or the network) is asked anything
    refuse_unknown_keys(data, set(PAIR_FIELDS) | DATA_KEYS | HUB_KEYS | {"delimiter"}, f"{where} [data]")
    for key in HUB_KEYS:
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            raise TaskFileError(f"{where} [data] {key}", "text", describe(data[key]))
    here = f"{where} [data] path"
    repo = _repo(data["path"], here)
    split, config, revision = data.get("split", "train"), data.get("config"), data.get("revision", "main")
    folder = snapshot(repo, revision, here)
    files = _data_files(folder)
    configs = _card_configs(folder)
    chosen = _from_card(configs, config, split, files, f"{where} [data]") if configs else None
    if chosen is None:
        if config is not None:
            files = [f for f in files if f.split("/")[0] == config]
        chosen = [f for f in files if _names_split(f, split)]
        if not chosen and split == "train" and not any(_names_split(f, s) for f in files for s in SPLITS):
            chosen = files  # no file names a split: all of it is train
    if not chosen:
        shown = ", ".join(files[:6]) + (" ..." if len(files) > 6 else "") if files else "no data files"
        raise TaskFileError(here, f"data files of split {split!r}" + (f" in config {config!r}" if config else "")
                            + f" in {repo} (revision {revision})", shown)
    return [folder / f for f in chosen]
