"""``[data] path = "hf://ORG/NAME"`` (annotator/tasks/hub.py): read from a Hugging Face cache
built here in the library's own layout; nothing is downloaded (HF_HUB_OFFLINE)."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from annotator.store import Label, Store

pytest.importorskip("huggingface_hub")

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hub(tmp_path, monkeypatch):
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


def cached_dataset(cache, repo, files: dict[str, object], revision="main", commit=COMMIT):
    """A dataset in huggingface_hub's cache layout: blobs, refs/<revision>, snapshots/<commit>/...
    (snapshot files are symlinks to the blobs, as the library makes them)."""
    root = cache / f"datasets--{repo.replace('/', '--')}"
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / revision).write_text(commit)
    snap = root / "snapshots" / commit
    for i, (rel, content) in enumerate(files.items()):
        blob = root / "blobs" / f"blob{i}-{abs(hash(rel))}"
        blob.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, pa.Table):
            pq.write_table(content, blob)
        elif isinstance(content, bytes):
            blob.write_bytes(content)
        else:
            blob.write_text(str(content), encoding="utf-8")
        target = snap / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(blob)
    return snap


def _pairs(n, prefix="p"):
    return pa.table({"id": [f"{prefix}{i}" for i in range(n)], "question": [f"q{i}" for i in range(n)],
                     "a": [f"answer a{i}" for i in range(n)], "b": [f"answer b{i}" for i in range(n)]})


def _task(tmp_path, data: str, name="hubtask"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "task.toml").write_text(f'[task]\nname = "{name}"\n[data]\n{data}\nid = "id"\nprompt = "question"\n'
                                      'response_a = "a"\nresponse_b = "b"\n', encoding="utf-8")
    return folder


def test_a_cached_dataset_loads_offline_by_split(hub, tmp_path, cli):
    cached_dataset(hub, "org/prefs", {"data/train-00000-of-00001.parquet": _pairs(5),
                                      "data/test-00000-of-00001.parquet": _pairs(2, "t")})
    result = cli("tasks", "add", _task(tmp_path, 'path = "hf://org/prefs"'), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["pairs_new"] == 5
    result = cli("tasks", "add", _task(tmp_path, 'path = "hf://org/prefs"\nsplit = "test"', "t2"), "--json")
    assert result.exit_code == 0, result.output
    assert {p.pair_id for p in Store.open(cli.db).pairs("t2")} == {"t0", "t1"}


def test_config_revision_and_the_cards_configs(hub, tmp_path, cli):
    card = ("---\nconfigs:\n- config_name: small\n  data_files:\n  - split: train\n    path: small/*.jsonl\n"
            "- config_name: big\n  default: true\n  data_files:\n  - split: train\n    path: big/*.jsonl\n---\n# card\n")
    rows = "".join(json.dumps({"id": f"s{i}", "question": "q", "a": "x", "b": "y"}) + "\n" for i in range(3))
    big = "".join(json.dumps({"id": f"b{i}", "question": "q", "a": "x", "b": "y"}) + "\n" for i in range(4))
    cached_dataset(hub, "org/cfg", {"README.md": card, "small/part.jsonl": rows, "big/part.jsonl": big},
                   revision="v1", commit="f" * 40)
    result = cli("tasks", "add", _task(tmp_path, 'path = "hf://org/cfg"\nrevision = "v1"\nconfig = "small"'), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["pairs_new"] == 3
    result = cli("tasks", "add", _task(tmp_path, 'path = "hf://org/cfg"\nrevision = "v1"', "dflt"), "--json")
    assert json.loads(result.output)["pairs_new"] == 4  # the card's default config
    bad = cli("tasks", "add", _task(tmp_path, 'path = "hf://org/cfg"\nrevision = "v1"\nconfig = "nope"', "bad"))
    assert bad.exit_code != 0 and "a config of the dataset card (small, big)" in bad.output


def test_a_dataset_not_cached_is_one_clear_line(hub, tmp_path, cli):
    result = cli("tasks", "add", _task(tmp_path, 'path = "hf://org/missing"'))
    assert result.exit_code != 0
    message = result.output.strip().splitlines()[0]  # the next line: "nothing was imported from ..."
    assert "org/missing" in message and str(hub) in message and "hf download org/missing --repo-type dataset" in message
    bad = cli("tasks", "add", _task(tmp_path, 'path = "hf://nonsense"', "bad"))
    assert "hf://ORG/NAME" in bad.output
    typo = cli("tasks", "add", _task(tmp_path, 'path = "hf://org/missing"\nsplitt = "x"', "typo"))
    assert "did you mean 'split'" in typo.output


def test_split_keys_only_with_hf_paths(tmp_path, cli):
    folder = _task(tmp_path, 'path = "pairs.jsonl"\nsplit = "train"')
    (folder / "pairs.jsonl").write_text(json.dumps({"id": "1", "question": "q", "a": "x", "b": "y"}) + "\n")
    result = cli("tasks", "add", folder)
    assert result.exit_code != 0 and "[data] split" in result.output


def test_gold_exported_for_the_hub_loads_back_through_hf(hub, tmp_path, cli):
    """export gold --format hf writes Parquet and a dataset card the Hub (and this loader) read."""
    assert cli("tasks", "add", "demo").exit_code == 0
    store = Store.open(cli.db)
    labels = [Label(pair=p.id, annotator=a, choice="A" if (i + k) % 3 else "B", origin="test")
              for i, p in enumerate(store.pairs("demo")) for k, a in enumerate(("alice", "bob", "carol"))]
    store.add_labels(labels)
    out = tmp_path / "gold-hf"
    result = cli("export", "gold", "--format", "hf", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["records"] == 33
    readme = (out / "README.md").read_text(encoding="utf-8")
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(out / "README.md").data.to_dict()
    assert card["configs"] == [{"config_name": "default", "data_files": [{"split": "train",
                                                                         "path": "data/train-*.parquet"}]}]
    assert card["size_categories"] == ["n<1K"]
    for text in ("## Provenance", "## Agreement between the annotators", "Krippendorff's alpha", "| `label` |",
                 "| `votes_A` |", "label provenance"):
        assert text in readme
    table = pq.read_table(out / "data/train-00000-of-00001.parquet")
    assert table.num_rows == 33 and "label" in table.column_names
    again = cli("export", "gold", "--format", "hf", "--out", out)
    assert again.exit_code != 0 and "--force" in again.output
    assert cli("export", "gold", "--format", "hf", "--out", out, "--force").exit_code == 0
    # the folder as it would be on the Hub, in the cache: it loads back as a task
    snap = cached_dataset(hub, "me/demo-gold", {})
    shutil.copytree(out, snap, dirs_exist_ok=True)
    folder = tmp_path / "back"
    folder.mkdir()
    (folder / "task.toml").write_text('[task]\nname = "back"\n[data]\npath = "hf://me/demo-gold"\nid = "pair_id"\n'
                                      'prompt = "prompt"\nresponse_a = "response_a"\nresponse_b = "response_b"\n'
                                      'gold = "label"\n', encoding="utf-8")
    result = cli("tasks", "add", folder, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["pairs_new"] == 33


@pytest.mark.realdata
def test_alpaca_eval_outputs_from_a_cached_hub_dataset(shared_data, hub, tmp_path, cli):
    """AlpacaEval's model outputs laid out as a Hub dataset in the cache (one file per model,
    no split named: all train), built into pairs with [pairs] mode = "baseline"."""
    models = ["gpt4_1106_preview", "alpaca-7b", "claude-2.1"]
    cached_dataset(hub, "tatsu-lab/alpaca_eval_outputs", {
        f"outputs/{m}.json.gz": (shared_data / f"alpacaeval2/results/{m}/model_outputs.json.gz").read_bytes()
        for m in models})
    folder = tmp_path / "ae"
    folder.mkdir()
    (folder / "task.toml").write_text('[task]\nname = "ae"\nbaseline = "gpt4_1106_preview"\n[data]\n'
                                      'path = "hf://tatsu-lab/alpaca_eval_outputs"\n[pairs]\nmode = "baseline"\n',
                                      encoding="utf-8")
    result = cli("tasks", "add", folder, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["pairs_new"] == 2 * 805
