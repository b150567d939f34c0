"""LLMBar (princeton-nlp/LLMBar): ``dataset.json``, a list of {input, output_1, output_2, label}.

``label`` is the benchmark's gold human label: 1 = output_1 better, 2 = output_2 better (no
ties). It is imported as the pair's ``gold`` (A or B), which judge accuracy is measured
against, and as the labels of the annotator ``llmbar-gold``.

``path`` is one ``dataset.json`` or a folder: every ``dataset.json`` below it is read, in
path order (``Dataset/LLMBar`` gives the 419 benchmark pairs of the Natural and four
Adversarial subsets). Each row gets ``id`` = ``<subset>/<n>`` (n counting from 1 within its
file) and ``subset`` = the file's folder relative to ``path`` (e.g. ``Adversarial/Neighbor``;
the folder's own name for a single file), mapped to the pair's domain, and ``gold`` (A for
label 1, B for 2; a label outside those is reported through the ``[labels] map``).

The evaluators' published runs on these pairs are read by the ``llmbar_run`` format, whose
pair ids are the same.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import TaskFileError
from ..labelmap import label_key
from ..readers import read_json
from .llmbar_run import GOLD

DEFAULTS = {
    "data": {"id": "id", "prompt": "input", "response_a": "output_1", "response_b": "output_2",
             "domain": "subset", "gold": "gold"},
    "labels": {"annotators": {"llmbar-gold": "label"}, "map": {"1": "A", "2": "B"}},
}
OPTIONS = ()


def dataset_files(path: Path) -> list[tuple[str, Path]]:
    """(subset, file) for ``path`` itself or every dataset.json below the folder ``path``."""
    if path.is_dir():
        found = sorted(path.rglob("dataset.json"))
        if not found:
            raise TaskFileError(str(path), "a dataset.json file or a folder holding some", "a folder without any")
        return [(f.parent.relative_to(path).as_posix() if f.parent != path else path.name, f) for f in found]
    return [(path.parent.name, path)]


def read(path: Path, options: dict):
    for subset, file in dataset_files(path):
        for number, (location, row) in enumerate(read_json(file), start=1):
            if isinstance(row, dict):
                label = row.get("label")
                gold = GOLD.get(label_key(label)) if label is not None else None
                row = {**row, "id": f"{subset}/{number}", "subset": subset, "gold": gold}
            yield f"{subset}/{location}", row
