"""Names that come from imported files (run names, model names, domains, pair ids,
annotators) never reach the terminal as control sequences in `stats judges`, `stats
leaderboard` or `stats agreement`: an ESC is shown as its control picture."""

from __future__ import annotations

from click.testing import CliRunner

from annotator.cli import main
from annotator.store import JudgeRun, Judgment, Label, Pair, Store, Task

EVIL = "\x1b]8;;http://x\x07link\x1b[2J"  # an OSC 8 hyperlink and a clear-screen


def test_untrusted_names_are_sanitised_in_every_judge_report(tmp_path):
    db = tmp_path / "evil.db"
    store = Store.open(db)
    task = Task(name="t", title="t", allow_tie=True)
    task.settings = {"baseline": f"base{EVIL}"}
    store.save_task(task)
    store.insert_pairs([
        Pair(task="t", pair_id=f"p{i}{EVIL}", prompt=f"q{i}", response_a="a" * (10 + i), response_b="b" * 12,
             model_a=f"m{i % 3}{EVIL}", model_b=f"base{EVIL}", domain=f"d{i % 2}{EVIL}", content_hash=f"h{i}")
        for i in range(12)])
    ids = [p.id for p in store.pairs("t")]
    for who in ("ann", "bob", f"cat{EVIL}"):
        store.add_labels([Label(pair=p, annotator=who, choice="A" if (i + len(who)) % 3 else "B", origin="t",
                                shown_order="AB" if i % 2 else "BA") for i, p in enumerate(ids)])
    run = store.get_or_create_run(JudgeRun(task="t", name=f"judge{EVIL}", kind="imported"))
    store.save_judgments([Judgment(run=run.id, pair=p, order=o, verdict="A" if i % 2 else "B",
                                   explanation=f"because{EVIL}")
                          for i, p in enumerate(ids) for o in ("AB", "BA")])
    store.close()
    runner = CliRunner()
    for args in (["stats", "judges", "--bootstrap", "0"],
                 ["stats", "judges", "--bootstrap", "0", "--disagreements", f"judge{EVIL}"],
                 ["stats", "leaderboard", "--bootstrap", "0", "--by", "domain"],
                 ["stats", "agreement", "--bootstrap", "0"]):
        result = runner.invoke(main, ["--db", str(db), *args])
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output, args
        assert "judge␛]8;;http://x␇link␛[2J" in result.output.replace("\n", "") or args[1] != "judges", args
