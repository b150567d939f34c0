"""One question, one answer: every figure has one value wherever it is shown.

``QUESTIONS`` is the table: a question (alpha with its interval, the ceiling, each judge's
agreement, ...), where its value is defined (the engine's ``--json``), and every place that
shows it (another command's ``--json``, the text output, the HTML report, its Markdown twin,
the dashboard's data). Each row is one assertion: the place shows the defined value, item by
item, formatted by ``text.numbers`` (the one place a number is formatted). A new
place that shows a figure joins by adding a row.

Two tasks: the campaign of ``report_data`` (three annotators, four judges, three models
against a baseline) with a rule-based factor extraction and an adjudicated pair, read once per
session; and, where ../shared/data is present, Auto-J's public pairs (one human label per
pair, a judge in both orders: alpha and the ceiling undefined everywhere, with one reason).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from annotator.analysis.experiment import misaligned_factors
from annotator.store import Adjudication, Store
from annotator.text import numbers as n

from .conftest import cli_json, run_cli
from .parse import find_row, html_tables, md_tables
from .report_data import TASK

BOOT = "30"
WIDE = {"COLUMNS": "400"}


def _flat(text: str) -> str:
    return " ".join(unescape(text).replace("\\", "").split())


@dataclass
class Views:
    """Everything one task shows, computed once."""

    task: str
    json: dict[str, Any]
    text: dict[str, str]
    tables: dict[str, list[dict]]  # "html" / "md"
    documents: dict[str, str]
    dashboard: Any  # dashboard_data.StatsSnapshot
    progress: Any  # dashboard_data.ProgressSnapshot


def _views(db, task: str, tmp) -> Views:
    from click.testing import CliRunner

    from annotator.cli import main
    from annotator.tui.dashboard_data import progress_snapshot, stats_snapshot

    boot = ("--bootstrap", BOOT)
    data = {
        "agreement": cli_json(db, "stats", "agreement", "--task", task, *boot),
        "judges": cli_json(db, "stats", "judges", "--task", task, *boot),
        "leaderboard": cli_json(db, "stats", "leaderboard", "--task", task, "--by", "domain", *boot),
        "factors": cli_json(db, "stats", "factors", "--task", task),
        "progress": cli_json(db, "progress", "--task", task),
    }

    def text(*args: str) -> str:
        result = CliRunner(env=WIDE).invoke(main, ["--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return _flat(result.output)

    texts = {"agreement": text("stats", "agreement", "--task", task, *boot),
             "judges": text("stats", "judges", "--task", task, *boot),
             "factors": text("stats", "factors", "--task", task)}
    out = tmp / f"{task}.html"
    run_cli(db, "report", "--task", task, "--out", str(out), *boot)
    html, md = out.read_text(), out.with_suffix(".md").read_text()
    store = Store.open(db)
    found = store.get_task(task)
    snap = stats_snapshot(store, found, resamples=int(BOOT))  # the commands' defaults, this test's resamples
    progress = progress_snapshot(store, found)
    store.close()
    return Views(task, data, texts, {"html": html_tables(html), "md": md_tables(md)},
                 {"html": _flat(html), "md": _flat(md)}, snap, progress)


@pytest.fixture(scope="session")
def campaign(campaign_db, tmp_path_factory) -> Views:
    """The campaign, with the rule extractor run and one disputed pair adjudicated (a copy:
    the session's campaign database is shared with other tests)."""
    tmp = tmp_path_factory.mktemp("consistency")
    db = tmp / "campaign.db"
    shutil.copy(campaign_db, db)
    run_cli(db, "factors", "extract", "--task", TASK, "--extractor", "rule")
    agreement = cli_json(db, "stats", "agreement", "--task", TASK, "--bootstrap", "0")
    disputed = next(p for p in agreement["pairs"]["most_disputed"] if p["needs_adjudication"])
    store = Store.open(db)
    store.add_adjudication(Adjudication(pair=disputed["pair"], adjudicator="carol", choice="A",
                                        reason="guidelines_gap", note="A follows the guidelines"))
    store.close()
    return _views(db, TASK, tmp)


# -- the questions -------------------------------------------------------------------------------

def _judges(v: Views) -> list[dict]:
    return [a for a in v.json["judges"]["agents"] if a["kind"] != "humans"]


def _report_name(a: dict) -> str:
    return a["agent"] + (" (offline baseline)" if a["kind"] == "baseline" else "")


def _row(v: Views, kind: str, caption: str, first: str) -> list[str]:
    return find_row(v.tables[kind], caption, first)


Getter = Callable[[Views], dict[str, str]]


def _alpha(v: Views) -> dict[str, str]:
    a = v.json["agreement"]["krippendorff_alpha"]
    return {"alpha": n.with_interval(a) if a["estimate"] is not None else f"undefined: {a['reason']}",
            "pairs": str(a["n"])}


def _ceiling(v: Views) -> dict[str, str]:
    c = v.json["judges"]["human_ceiling"]["with_ties"]
    return {"ceiling": n.with_interval(c, True) if c["estimate"] is not None else n.DASH}


def _judge_agreement(v: Views) -> dict[str, str]:
    return {a["agent"]: n.with_interval(a["agreement_with_humans"]["with_ties"], True) for a in _judges(v)}


def _kappa(v: Views) -> dict[str, str]:
    return {a["agent"]: n.value(a["cohen_kappa_with_majority"]) for a in _judges(v)}


def _gold(v: Views) -> dict[str, str]:
    return {a["agent"]: n.with_interval(a["gold"]["accuracy"], True) for a in _judges(v) if a.get("gold")}


def _board(v: Views, key: str) -> dict[str, str]:
    rows = [r for r in v.json["leaderboard"]["rows"] if r["model"] != r["baseline"]]
    if key == "bt":
        return {f"{r['agent']}|{r['model']}|{r['domain']}":
                n.DASH if r["bt_rating"] is None else f"{r['bt_rating']:.0f}" for r in rows}
    return {f"{r['agent']}|{r['model']}|{r['domain']}": n.pct_points(r[key]) for r in rows}


def _factor_scores(v: Views) -> dict[str, str]:
    fa = v.json["judges"]["factor_alignment"]
    return {f"{agent}|{k}": n.DASH if s["score"] is None else f"{s['score']:+.2f}"
            for agent, by in fa["scores"].items() for k, s in by.items()}


def _alignment(v: Views) -> dict[str, str]:
    fa = v.json["judges"]["factor_alignment"]
    return {j: n.num(b["alignment"]["kendall_tau_b"]) for j, b in fa["judges"].items()}


def _most_misaligned(v: Views) -> dict[str, str]:
    fa = v.json["judges"]["factor_alignment"]
    return {j: b["misaligned"][0]["factor"] if b["misaligned"] else n.DASH for j, b in fa["judges"].items()}


def _adjudication(v: Views) -> dict[str, str]:
    p = v.json["agreement"]["pairs"]
    return {"needs": str(p["needs_adjudication"]), "no majority": str(p["no_majority"]), "settled": str(p["adjudicated"])}


def _progress(v: Views) -> dict[str, str]:
    p = v.json["progress"][0] if isinstance(v.json["progress"], list) else v.json["progress"]
    return {"pairs": str(p["pairs"]), "done": str(p["pairs_done"]), "labels needed": str(p["labels_still_needed"])}


# each place: question -> getter of what it shows
def _by_item(rows: dict[str, str], keep: dict[str, str]) -> dict[str, str]:
    return {k: rows[k] for k in keep}


PLACES: dict[str, list[tuple[str, Getter]]] = {
    "alpha": [
        ("stats agreement text", lambda v: {
            "alpha": _alpha(v)["alpha"] if _alpha(v)["alpha"] in v.text["agreement"] else "missing",
            "pairs": _alpha(v)["pairs"]}),
        *[(f"report {kind}", lambda v, kind=kind: {
            "alpha": _row(v, kind, "Overall preference", "Krippendorff's alpha (nominal)")[1]
            if _alpha(v)["alpha"][0] != "u" else _alpha(v)["alpha"],
            "pairs": _row(v, kind, "Overall preference", "Krippendorff's alpha (nominal)")[2]})
          for kind in ("html", "md")],
        ("dashboard", lambda v: {
            "alpha": n.with_interval(v.dashboard.alpha) if v.dashboard.alpha.defined
            else f"undefined: {v.dashboard.alpha.reason}",
            "pairs": str(v.dashboard.n_pairs)}),
    ],
    "ceiling": [
        ("stats agreement --json", lambda v: {"ceiling": n.with_interval(
            v.json["agreement"]["percent_agreement"]["with_ties"], True)}),
        ("stats judges text", lambda v: {"ceiling": _ceiling(v)["ceiling"]
                                         if f"Human-human ceiling: agreement {_ceiling(v)['ceiling']}"
                                         in v.text["judges"] or _ceiling(v)["ceiling"] == n.DASH else "missing"}),
        *[(f"report {kind}", lambda v, kind=kind: {"ceiling": _ceiling(v)["ceiling"]
                                                   if f"agreement {_ceiling(v)['ceiling']}" in v.documents[kind]
                                                   else "missing"}) for kind in ("html", "md")],
        ("dashboard", lambda v: {"ceiling": n.with_interval(v.dashboard.ceiling, True)
                                 if v.dashboard.ceiling.defined else n.DASH}),
    ],
    "judge agreement": [
        ("stats agreement --json", lambda v: {j["run"]: n.with_interval(j["agreement_with_humans"]["with_ties"], True)
                                              for j in v.json["agreement"]["judges"]}),
        *[(f"report {kind}", lambda v, kind=kind: {
            a["agent"]: _row(v, kind, "Judges against the humans", _report_name(a))[4] for a in _judges(v)})
          for kind in ("html", "md")],
        ("dashboard", lambda v: {a.agent: n.with_interval((a.agreement_with_humans or {}).get("with_ties"), True)
                                 for a in v.dashboard.judges}),
    ],
    "kappa": [
        ("stats agreement --json", lambda v: {j["run"]: n.value(j["cohen_kappa_with_majority"])
                                              for j in v.json["agreement"]["judges"]}),
        *[(f"report {kind}", lambda v, kind=kind: {
            a["agent"]: _row(v, kind, "Judges against the humans", _report_name(a))[6] for a in _judges(v)})
          for kind in ("html", "md")],
    ],
    "gold accuracy": [
        *[(f"report {kind}", lambda v, kind=kind: {
            a["agent"]: _row(v, kind, "Accuracy against the gold labels", a["agent"])[2]
            for a in _judges(v) if a.get("gold")}) for kind in ("html", "md")],
    ],
    "win rate": [
        *[(f"report {kind}", lambda v, kind=kind: _report_board(v, kind, "WR")) for kind in ("html", "md")],
    ],
    "LC": [
        *[(f"report {kind}", lambda v, kind=kind: _report_board(v, kind, "LC")) for kind in ("html", "md")],
    ],
    "Bradley-Terry": [
        *[(f"report {kind}", lambda v, kind=kind: _report_bt(v, kind)) for kind in ("html", "md")],
    ],
    "factor score": [
        ("stats factors --json", lambda v: {
            f"{agent}|{k}": n.DASH if s["score"] is None else f"{s['score']:+.2f}"
            for agent, by in v.json["factors"]["scores"][v.json["factors"]["manifestation_source"]["default"]][
                "evaluation"].items() for k, s in by.items()}),
        *[(f"report {kind}", lambda v, kind=kind: _report_factor_scores(v, kind)) for kind in ("html", "md")],
    ],
    "factor alignment": [
        ("stats factors --json", lambda v: {j: n.num(a["kendall_tau_b"])
                                            for j, a in v.json["factors"]["alignment"]["evaluation"].items()}),
        *[(f"report {kind}", lambda v, kind=kind: {
            j: _row(v, kind, "Factor-level alignment", j)[1]
            for j in v.json["judges"]["factor_alignment"]["judges"]}) for kind in ("html", "md")],
    ],
    "most misaligned factor": [
        ("stats factors --json", lambda v: {j: m[0]["factor"] if m else n.DASH
                                            for j, m in v.json["factors"]["misaligned"].items()}),
        ("experiment guide's rule on the same pairs", lambda v: _experiment_pick(v)),
    ],
    "pairs needing adjudication": [
        ("stats agreement text", lambda v: {
            "needs": re.search(r"(\d+) pair\(s\) need adjudication", v.text["agreement"]).group(1),
            "no majority": re.search(r"\((\d+) without a majority", v.text["agreement"]).group(1),
            "settled": (re.search(r"(\d+) settled by an adjudicator", v.text["agreement"]) or [None, "0"])[1]}),
        *[(f"report {kind}", lambda v, kind=kind: {
            "needs": re.search(r"([\d,]+) of [\d,]+ pairs labelled by two or more annotators need it",
                               v.documents[kind]).group(1),
            "no majority": re.search(r"need it \(([\d,]+) without a majority", v.documents[kind]).group(1),
            "settled": (re.search(r"([\d,]+) were settled by an adjudicator", v.documents[kind]) or [None, "0"])[1]})
          for kind in ("html", "md")],
        ("dashboard", lambda v: {"needs": str(v.dashboard.needs_adjudication),
                                 "no majority": str(v.dashboard.agreement.pairs.no_majority),
                                 "settled": str(v.dashboard.adjudicated)}),
    ],
    "inconsistent pairs": [
        *[(f"report {kind}", lambda v, kind=kind: _report_detail(v, kind, "inconsistent")) for kind in ("html", "md")],
    ],
    "progress": [
        ("dashboard", lambda v: {"pairs": str(v.progress.coverage.pairs), "done": str(v.progress.coverage.done),
                                 "labels needed": str(v.progress.coverage.labels_needed)}),
    ],
}

DEFINED = {
    "alpha": _alpha, "ceiling": _ceiling, "judge agreement": _judge_agreement, "kappa": _kappa,
    "gold accuracy": _gold, "win rate": lambda v: _board(v, "win_rate"), "LC": lambda v: _board(v, "lc_win_rate"),
    "Bradley-Terry": lambda v: _board(v, "bt"), "factor score": _factor_scores, "factor alignment": _alignment,
    "most misaligned factor": _most_misaligned, "pairs needing adjudication": _adjudication, "progress": _progress,
    "inconsistent pairs": lambda v: {f"{r['agent']}|{r['model']}|{r['domain']}": n.count(r["n_inconsistent"])
                                     for r in v.json["leaderboard"]["rows"] if r["model"] != r["baseline"]},
}
ROWS = [(question, place, getter) for question, places in PLACES.items() for place, getter in places]


def _report_board(v: Views, kind: str, column: str) -> dict[str, str]:
    table = next(t for t in v.tables[kind] if t["caption"].startswith("Win rate (WR) and length-controlled"))
    header = table["rows"][0]
    out, agent = {}, ""
    for row in table["rows"][1:]:
        agent = row[0] or agent
        for i, cell in enumerate(header):
            if cell.endswith(f" {column}") and cell != n.DASH:
                domain = cell[: -len(column) - 1]
                out[f"{row[0]}|{row[1]}|{domain}"] = row[i]
    rows = [r for r in v.json["leaderboard"]["rows"] if r["model"] != r["baseline"]]
    return {f"{r['agent']}|{r['model']}|{r['domain']}": out.get(f"{r['agent']}|{r['model']}|{r['domain']}", "missing")
            for r in rows}


def _report_bt(v: Views, kind: str) -> dict[str, str]:
    out = {}
    for r in v.json["leaderboard"]["rows"]:
        if r["model"] == r["baseline"]:
            continue
        table = next(t for t in v.tables[kind] if t["caption"] == f"Domain {r['domain']}: every figure")
        row = next(x for x in table["rows"][1:] if x[0] == r["agent"] and x[1] == r["model"])
        out[f"{r['agent']}|{r['model']}|{r['domain']}"] = row[-1].split(" [")[0]
    return out


def _report_detail(v: Views, kind: str, column: str) -> dict[str, str]:
    """One column of the report's per-domain leaderboard tables, by agent, model and domain."""
    out = {}
    for r in v.json["leaderboard"]["rows"]:
        if r["model"] == r["baseline"]:
            continue
        table = next(t for t in v.tables[kind] if t["caption"] == f"Domain {r['domain']}: every figure")
        at = table["rows"][0].index(column)
        row = next(x for x in table["rows"][1:] if x[0] == r["agent"] and x[1] == r["model"])
        out[f"{r['agent']}|{r['model']}|{r['domain']}"] = row[at]
    return out


def _report_factor_scores(v: Views, kind: str) -> dict[str, str]:
    fa = v.json["judges"]["factor_alignment"]
    out = {}
    for key, name in fa["factors"].items():
        row = find_row(v.tables[kind], "Factor scores", name)
        for i, agent in enumerate(fa["scores"], start=2):
            out[f"{agent}|{key}"] = row[i]
    return out


def _experiment_pick(v: Views) -> dict[str, str]:
    """``experiment guide`` picks the factor with the largest gap (``misaligned_factors``) from the
    same scores, on its calibration pairs; on all the labelled pairs it must pick the card's."""
    fa = v.json["judges"]["factor_alignment"]
    human = {k: s["score"] for k, s in fa["scores"]["humans"].items()}
    out = {}
    for judge, block in fa["judges"].items():
        mine = {k: s["score"] for k, s in fa["scores"][judge].items()}
        picked = misaligned_factors(human, mine, 1)
        out[judge] = picked[0]["factor"] if block["misaligned"] and picked else n.DASH
    return out


@pytest.mark.parametrize(("question", "place", "getter"), ROWS, ids=[f"{q} / {p}" for q, p, _ in ROWS])
def test_one_value_everywhere_on_the_campaign(campaign, question, place, getter):
    expected = DEFINED[question](campaign)
    assert expected, f"the campaign shows no {question}"
    assert getter(campaign) == expected


def test_the_campaign_exercises_what_the_table_checks(campaign):
    """The data behind the table are the interesting case: an adjudicated pair, several
    judges, a defined alpha and ceiling, factor scores from the extractors (the default source)
    with the checklist beside."""
    assert campaign.json["agreement"]["pairs"]["adjudicated"] == 1
    assert campaign.json["judges"]["reference"]["adjudicated_pairs"] == 1
    assert len(_judges(campaign)) >= 3 and campaign.json["agreement"]["krippendorff_alpha"]["estimate"] is not None
    fa = campaign.json["judges"]["factor_alignment"]
    assert fa["source"] == "extractors" == campaign.json["factors"]["manifestation_source"]["default"]
    assert fa["other_source"]["source"] == "checklist"
    assert "M_k source: extractors" in campaign.text["judges"] and "M_k source: extractors" in campaign.text["factors"]
    assert "M_k source: extractors" in campaign.documents["html"]
    # the judge card, stats factors and the experiment: one M_k table (the shared rule)
    from annotator.analysis.factor_report import manifestation_table

    assert callable(manifestation_table)
    # the bootstrap that shapes every interval above is printed beside it
    assert f"{int(BOOT)} resamples" in campaign.text["agreement"] and f"{int(BOOT)} resamples" in campaign.text["judges"]
    assert json.loads(json.dumps(campaign.json["judges"]["bootstrap"]))["resamples"] == int(BOOT)
    # a judge asked in both orders that changed its verdict with the order: counted as a draw
    assert any(r["n_inconsistent"] for r in campaign.json["leaderboard"]["rows"])
    assert "each counts as a draw" in campaign.documents["html"]


# -- a round robin (no baseline): PandaLM's shape ------------------------------------------------

@pytest.fixture(scope="session")
def round_robin(tmp_path_factory) -> dict[str, Any]:
    """tests/fixtures/pandalm: five models against each other, three annotators and a judge."""
    from click.testing import CliRunner

    from annotator.cli import main

    tmp = tmp_path_factory.mktemp("round-robin")
    db = tmp / "rr.db"
    run_cli(db, "tasks", "add", str(Path(__file__).parents[1] / "fixtures" / "pandalm"))
    task = "pandalm-mini"
    board = cli_json(db, "stats", "leaderboard", "--task", task, "--by", "domain", "--bootstrap", BOOT)
    text = CliRunner(env=WIDE).invoke(main, ["--db", str(db), "stats", "leaderboard", "--task", task, "--by", "domain",
                                             "--bootstrap", BOOT], catch_exceptions=False).output
    out = tmp / "rr.html"
    run_cli(db, "report", "--task", task, "--out", str(out), "--bootstrap", BOOT)
    html, md = out.read_text(), out.with_suffix(".md").read_text()
    return {"json": board, "text": _flat(text), "tables": {"html": html_tables(html), "md": md_tables(md)}}


def _rr_defined(v: dict) -> dict[str, str]:
    return {f"{r['agent']}|{r['model']}|{r['domain']}": n.DASH if r["bt_rating"] is None else
            f"{r['bt_rating']:.0f} [{r['bt_ci_low']:.0f}, {r['bt_ci_high']:.0f}]" for r in v["json"]["ratings"]}


def _rr_report(v: dict, kind: str) -> dict[str, str]:
    out = {}
    for r in v["json"]["ratings"]:
        caption = f"Bradley-Terry ratings, domain {r['domain']}"
        row = next(x for t in v["tables"][kind] if t["caption"].startswith(caption)
                   for x in t["rows"][1:] if x[0] == r["agent"] and x[1] == r["model"])
        out[f"{r['agent']}|{r['model']}|{r['domain']}"] = row[-1]
    return out


def _rr_text(v: dict) -> dict[str, str]:
    out = {}
    for r in v["json"]["ratings"]:
        shown = " ".join(part for part in (r["model"], r["domain"], f"{r['n']:,}", f"{r['wins']:g}",
                                           f"{r['bt_rating']:.0f}", f"{r['bt_ci_low']:.0f}–{r['bt_ci_high']:.0f}")
                         if part)  # a task without domains shows an empty domain cell
        out[f"{r['agent']}|{r['model']}|{r['domain']}"] = (_rr_defined(v)[f"{r['agent']}|{r['model']}|{r['domain']}"]
                                                            if shown in v["text"] else "missing")
    return out


RR_PLACES = {"stats leaderboard text": _rr_text, "report html": lambda v: _rr_report(v, "html"),
             "report md": lambda v: _rr_report(v, "md")}


@pytest.mark.parametrize("place", list(RR_PLACES))
def test_one_bradley_terry_rating_everywhere_on_a_round_robin(round_robin, place):
    """Without a baseline the leaderboard is the Bradley-Terry ratings: the report shows them,
    the value `stats leaderboard` prints, with their intervals."""
    expected = _rr_defined(round_robin)
    assert len(expected) >= 10 and round_robin["json"]["baseline"] is None
    assert RR_PLACES[place](round_robin) == expected


def test_the_round_robin_report_ranks_the_judge_against_the_humans(round_robin):
    (rc,) = [r for r in round_robin["json"]["rank_correlation"] if r["domain"] == "all"]
    row = find_row(round_robin["tables"]["html"], "Does each judge rank the models", rc["agent"])
    assert row[4] == n.num(rc["spearman"]) and "by Bradley-Terry rating" in next(
        t["caption"] for t in round_robin["tables"]["html"] if t["caption"].startswith("Does each judge"))


# -- public data -------------------------------------------------------------------------------

REALDATA_PAIRS = 300  # Auto-J's first pairs: enough for every figure, fast
REALDATA_QUESTIONS = ("alpha", "ceiling", "judge agreement", "kappa", "pairs needing adjudication", "progress")
REAL_ROWS = [row for row in ROWS if row[0] in REALDATA_QUESTIONS]


@pytest.fixture(scope="session")
def autoj(tmp_path_factory) -> Views:
    """Auto-J's pairwise test set (one human label per pair, the Auto-J judge in both orders),
    loaded with the store directly as ``tests/analysis/test_realdata_agreement.py`` does."""
    from annotator.store import JudgeRun, Judgment, Label, Pair, Task

    here = Path(__file__).resolve()
    # ../shared/data beside the repository (tests/conftest.py), or beside the folder of worktrees
    found = [p for p in (here.parents[3] / "shared" / "data", here.parents[4] / "shared" / "data")
             if (p / "autoj").is_dir()]
    if not found:
        pytest.skip("../shared/data is not present")
    root = found[0] / "autoj"

    def jsonl(name):
        return [json.loads(line) for line in (root / name).read_text(encoding="utf-8").splitlines() if line.strip()]

    rows = jsonl("testdata_pairwise.jsonl")[:REALDATA_PAIRS]
    same = jsonl("pairwise_example_output.jsonl")[:REALDATA_PAIRS]
    exchange = jsonl("pairwise_exchange_example_output.jsonl")[:REALDATA_PAIRS]
    tmp = tmp_path_factory.mktemp("autoj")
    db = tmp / "autoj.db"
    store = Store.open(db)
    store.save_task(Task(name="autoj", overlap=1))
    store.insert_pairs(Pair(task="autoj", pair_id=str(i), prompt=r["prompt"], response_a=r["response 1"],
                            response_b=r["response 2"], domain=r["scenario"]) for i, r in enumerate(rows))
    index = store.pair_index("autoj")
    canonical, swapped = {0: "A", 1: "B", 2: "tie"}, {0: "B", 1: "A", 2: "tie"}
    store.add_labels(Label(pair=index[str(i)][0], annotator="autoj-human", choice=canonical[r["label"]],
                           origin="import") for i, r in enumerate(rows))
    run = store.get_or_create_run(JudgeRun(task="autoj", name="auto-j-13b", kind="imported"))
    store.save_judgments(
        [Judgment(run=run.id, pair=index[str(i)][0], order="AB", verdict=canonical[o["output"]])
         for i, o in enumerate(same)]
        + [Judgment(run=run.id, pair=index[str(i)][0], order="BA", verdict=swapped[o["output"]])
           for i, o in enumerate(exchange)])
    store.close()
    return _views(db, "autoj", tmp)


@pytest.mark.realdata
@pytest.mark.parametrize(("question", "place", "getter"), REAL_ROWS, ids=[f"{q} / {p}" for q, p, _ in REAL_ROWS])
def test_one_value_everywhere_on_public_data(autoj, question, place, getter):
    expected = DEFINED[question](autoj)
    assert expected, f"Auto-J shows no {question}"
    assert getter(autoj) == expected


@pytest.mark.realdata
def test_an_undefined_figure_is_undefined_everywhere_with_its_reason(autoj):
    """One human label per pair: alpha and the ceiling have no value anywhere, and say why."""
    alpha = autoj.json["agreement"]["krippendorff_alpha"]
    assert alpha["estimate"] is None and alpha["reason"]
    assert not autoj.dashboard.alpha.defined and autoj.dashboard.alpha.reason == alpha["reason"]
    assert autoj.json["judges"]["human_ceiling"]["with_ties"]["estimate"] is None
    assert f"undefined: {alpha['reason']}" in autoj.text["agreement"]
