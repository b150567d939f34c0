"""`annotator annotators ...`: accounts with one-time access codes (only a hash stored), and
each annotator's counts, pace and quality."""

from __future__ import annotations

import json

from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Label, Store
from annotator.web.codes import verify


def run(db, *args):
    return CliRunner().invoke(main, ["--db", str(db), *map(str, args)])


def test_add_prints_a_code_once_and_stores_only_its_hash(tmp_path):
    db = tmp_path / "a.db"
    added = run(db, "annotators", "add", "alice", "--role", "researcher")
    assert added.exit_code == 0, added.output
    code = added.output.split("stored):")[1].split()[0]
    assert len(code) == 14
    store = Store.open(db)
    account = store.account("alice")
    assert account.role == "researcher" and verify(code, account.code_hash)
    assert code not in json.dumps(store.query("SELECT * FROM annotators"))
    store.close()
    again = run(db, "annotators", "add", "alice")
    assert again.exit_code == 1 and "already has an account" in again.output
    bad = run(db, "annotators", "add", "a\x1b]52;c;x\x07")
    assert bad.exit_code == 1 and "Control characters are not allowed" in bad.output


def test_disable_enable_and_reset_code(tmp_path):
    db = tmp_path / "a.db"
    first = json.loads(run(db, "annotators", "add", "bob", "--json").output)["code"]
    assert run(db, "annotators", "disable", "bob").exit_code == 0
    assert Store.open(db).account("bob").disabled
    new = json.loads(run(db, "annotators", "reset-code", "bob", "--json").output)["code"]
    account = Store.open(db).account("bob")
    assert not account.disabled and verify(new, account.code_hash) and not verify(first, account.code_hash)
    assert run(db, "annotators", "disable", "nobody").exit_code == 1


def test_list_shows_counts_pace_and_quality(tmp_path):
    db = tmp_path / "a.db"
    assert run(db, "tasks", "add", "demo").exit_code == 0
    run(db, "annotators", "add", "alice")
    store = Store.open(db)
    pairs = [p.id for p in store.pairs("demo")][:4]
    # alice, bob and dan agree on all four pairs, carol on none; each label took 20 s (bob 10 s)
    for name, choices, seconds in (("alice", "AABB", 20.0), ("bob", "AABB", 10.0), ("dan", "AABB", 20.0),
                                   ("carol", "BBAA", 20.0)):
        for pair, choice in zip(pairs, choices):
            store.add_label(Label(pair=pair, annotator=name, choice=choice, shown_order="AB", seconds=seconds))
    store.close()
    records = json.loads(run(db, "annotators", "list", "--json").output)
    by_name = {r["annotator"]: r for r in records}
    assert by_name["alice"]["status"] == "active" and by_name["bob"]["status"] == "no account"
    assert by_name["alice"]["n_labels"] == 4 and by_name["bob"]["median_seconds"] == 10.0
    # leave-one-out: on each pair alice's others (bob, dan, carol) vote 2-1 for bob and dan's
    # choice, which is alice's: 4 of 4. Carol's others all vote against her: 0 of 4.
    assert by_name["alice"]["agreement_with_others"]["estimate"] == 1.0
    assert by_name["alice"]["agreement_with_others"]["n"] == 4
    assert by_name["carol"]["agreement_with_others"]["estimate"] == 0.0
    table = run(db, "annotators", "list")
    assert table.exit_code == 0 and "alice" in table.output and "20 s" in table.output
