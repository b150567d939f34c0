"""The database schema, as an ordered list of sqlite-utils migrations.

A fresh database and an old one both end at the latest schema by applying the pending
migrations in order; data already present is kept. Never edit a migration that has shipped:
add a new one at the end.
"""

from __future__ import annotations

import re

from annotator.text.private_api import defined_migrations

from .sqlite import Database, Migrations

migrations = Migrations("annotator")


@migrations()
def m001_initial(db: Database) -> None:
    _run_script(
        db,
        """
        CREATE TABLE tasks (
            name TEXT PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            guidelines TEXT NOT NULL DEFAULT '',
            allow_tie INTEGER NOT NULL DEFAULT 1,
            overlap INTEGER NOT NULL DEFAULT 1,
            factors TEXT NOT NULL DEFAULT '[]',
            required TEXT NOT NULL DEFAULT '[]',
            show_model_names INTEGER NOT NULL DEFAULT 0,
            attention_rate REAL NOT NULL DEFAULT 0,
            seed INTEGER NOT NULL DEFAULT 0,
            source_dir TEXT NOT NULL DEFAULT '',
            settings TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );

        CREATE TABLE pairs (
            id INTEGER PRIMARY KEY,
            task TEXT NOT NULL REFERENCES tasks(name),
            pair_id TEXT NOT NULL,
            prompt TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            response_a TEXT NOT NULL,
            response_b TEXT NOT NULL,
            model_a TEXT NOT NULL DEFAULT '',
            model_b TEXT NOT NULL DEFAULT '',
            domain TEXT NOT NULL DEFAULT '',
            metadata TEXT NOT NULL DEFAULT '{}',
            gold TEXT,
            content_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (task, pair_id)
        );
        CREATE INDEX pairs_task ON pairs(task);

        CREATE TABLE labels (
            id INTEGER PRIMARY KEY,
            pair INTEGER NOT NULL REFERENCES pairs(id),
            task TEXT NOT NULL REFERENCES tasks(name),
            annotator TEXT NOT NULL,
            revision INTEGER NOT NULL,
            choice TEXT NOT NULL CHECK (choice IN ('A', 'B', 'tie')),
            shown_order TEXT NOT NULL CHECK (shown_order IN ('AB', 'BA')),
            factors TEXT NOT NULL DEFAULT '{}',
            confidence INTEGER CHECK (confidence IS NULL OR confidence BETWEEN 1 AND 5),
            rationale TEXT NOT NULL DEFAULT '',
            seconds REAL,
            origin TEXT NOT NULL DEFAULT 'tui',
            created_at TEXT NOT NULL,
            UNIQUE (pair, annotator, revision)
        );
        CREATE INDEX labels_task_annotator ON labels(task, annotator);

        -- The label each annotator stands by now: the newest revision per pair and annotator.
        CREATE VIEW current_labels AS
            SELECT l.* FROM labels l
            WHERE l.revision = (
                SELECT MAX(r.revision) FROM labels r
                WHERE r.pair = l.pair AND r.annotator = l.annotator
            );

        CREATE TABLE claims (
            pair INTEGER NOT NULL REFERENCES pairs(id),
            annotator TEXT NOT NULL,
            task TEXT NOT NULL REFERENCES tasks(name),
            expires_at TEXT NOT NULL,
            PRIMARY KEY (pair, annotator)
        );

        CREATE TABLE judge_runs (
            id INTEGER PRIMARY KEY,
            task TEXT NOT NULL REFERENCES tasks(name),
            name TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'llm',
            model TEXT NOT NULL DEFAULT '',
            endpoint TEXT NOT NULL DEFAULT '',
            template TEXT NOT NULL DEFAULT '',
            template_version TEXT NOT NULL DEFAULT '',
            params TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            UNIQUE (task, name)
        );

        CREATE TABLE judgments (
            id INTEGER PRIMARY KEY,
            run INTEGER NOT NULL REFERENCES judge_runs(id),
            pair INTEGER NOT NULL REFERENCES pairs(id),
            "order" TEXT NOT NULL CHECK ("order" IN ('AB', 'BA')),
            sample INTEGER NOT NULL DEFAULT 0,
            verdict TEXT CHECK (verdict IS NULL OR verdict IN ('A', 'B', 'tie')),
            p_a REAL,
            unscored_reason TEXT NOT NULL DEFAULT '',
            messages TEXT NOT NULL DEFAULT '[]',
            raw_output TEXT NOT NULL DEFAULT '',
            explanation TEXT NOT NULL DEFAULT '',
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            latency_s REAL,
            cost REAL,
            cache_key TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (run, pair, "order", sample)
        );
        CREATE INDEX judgments_cache_key ON judgments(cache_key);

        CREATE TABLE factor_values (
            id INTEGER PRIMARY KEY,
            pair INTEGER NOT NULL REFERENCES pairs(id),
            factor TEXT NOT NULL,
            extractor TEXT NOT NULL,
            value_a REAL,
            value_b REAL,
            manifestation TEXT NOT NULL CHECK (manifestation IN ('A', 'B', 'equal')),
            created_at TEXT NOT NULL,
            UNIQUE (pair, factor, extractor)
        );
        """
    )


@migrations()
def m002_judgment_top_logprobs(db: Database) -> None:
    """Keep the first output token's top logprobs, so ``--reparse`` can recompute P(A)."""
    db.execute("ALTER TABLE judgments ADD COLUMN top_logprobs TEXT NOT NULL DEFAULT '[]'")


@migrations()
def m003_judgment_order_unknown(db: Database) -> None:
    """A judgment's presented order may be ``unknown`` (AlpacaEval annotations, for instance,
    do not record which output the judge saw first): position bias is then reported as
    unknown instead of being computed from a made-up order.

    SQLite cannot change a CHECK constraint in place: the table is rebuilt from its own
    stored definition with the wider constraint (columns added by later migrations survive).
    """
    old = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'judgments'").fetchone()[0]
    narrow = """CHECK ("order" IN ('AB', 'BA'))"""
    if narrow not in old:
        raise RuntimeError("unexpected judgments schema: cannot find its order constraint")
    new = old.replace(narrow, """CHECK ("order" IN ('AB', 'BA', 'unknown'))""", 1)
    new = new.replace("CREATE TABLE judgments", "CREATE TABLE judgments_new", 1)
    indexes = [r[0] for r in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'judgments' AND sql IS NOT NULL"
    ).fetchall()]
    db.execute(new)
    db.execute("INSERT INTO judgments_new SELECT * FROM judgments")
    db.execute("DROP TABLE judgments")
    db.execute("ALTER TABLE judgments_new RENAME TO judgments")
    for sql in indexes:
        db.execute(sql)


@migrations()
def m003_judgment_status(db: Database) -> None:
    """A failed call is a status ("failed"), not an unscored reason starting with "error".

    Before this migration the runner wrote a failed call (HTTP error, timeout, a body that is
    not JSON, a failed batch line) as ``unscored_reason = "error: ..."``; those rows become
    "failed". Imported runs never made a call: a verdict column that held text starting with
    "error" stays a finished (unscored) judgment.
    """
    db.execute(
        "ALTER TABLE judgments ADD COLUMN status TEXT NOT NULL DEFAULT 'done' "
        "CHECK (status IN ('done', 'failed'))"
    )
    db.execute(
        "UPDATE judgments SET status = 'failed' WHERE verdict IS NULL AND substr(unscored_reason, 1, 7) = 'error: ' "
        "AND run NOT IN (SELECT id FROM judge_runs WHERE kind = 'imported')"
    )


@migrations()
def m004_skips_flags(db: Database) -> None:
    """Skipped pairs (served again at the end of the annotator's queue), flags for the
    researcher (with a reason; cleared flags are kept with their time), and the annotator
    name remembered per operating-system account, so ``annotate`` asks for it only once."""
    _run_script(
        db,
        """
        CREATE TABLE skips (
            pair INTEGER NOT NULL REFERENCES pairs(id),
            annotator TEXT NOT NULL,
            task TEXT NOT NULL REFERENCES tasks(name),
            skipped_at TEXT NOT NULL,
            times INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (pair, annotator)
        );
        CREATE INDEX skips_task_annotator ON skips(task, annotator);

        CREATE TABLE flags (
            id INTEGER PRIMARY KEY,
            pair INTEGER NOT NULL REFERENCES pairs(id),
            task TEXT NOT NULL REFERENCES tasks(name),
            annotator TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            cleared_at TEXT
        );
        CREATE INDEX flags_task ON flags(task);

        CREATE TABLE remembered_annotators (
            account TEXT PRIMARY KEY,
            annotator TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m005_assignment_scale(db: Database) -> None:
    """Assignment whose cost does not grow with the task: stored queue state per pair, per
    task and per annotator (``annotator/store/queue_state.py``), each annotator's position in
    their seeded order, one writer per annotator name, and indexes for claims."""
    _run_script(
        db,
        """
        CREATE TABLE queue_pairs (
            pair INTEGER PRIMARY KEY REFERENCES pairs(id),
            task TEXT NOT NULL REFERENCES tasks(name),
            stream TEXT NOT NULL CHECK (stream IN ('calibration', 'gold', 'regular')),
            rank INTEGER NOT NULL,
            labellers INTEGER NOT NULL DEFAULT 0,
            done INTEGER NOT NULL DEFAULT 0,
            uniform INTEGER NOT NULL DEFAULT 0,
            priority REAL NOT NULL DEFAULT 0
        );
        CREATE INDEX queue_pairs_walk ON queue_pairs(task, stream, done, uniform, priority, rank);

        CREATE TABLE queue_tasks (
            task TEXT PRIMARY KEY REFERENCES tasks(name),
            open_regular INTEGER NOT NULL DEFAULT 0,
            gold_pairs INTEGER NOT NULL DEFAULT 0,
            calibration_pairs INTEGER NOT NULL DEFAULT 0,
            prioritised INTEGER NOT NULL DEFAULT 0,
            uniform_share REAL NOT NULL DEFAULT 0.2
        );

        CREATE TABLE queue_annotators (
            task TEXT NOT NULL REFERENCES tasks(name),
            annotator TEXT NOT NULL,
            calibration INTEGER NOT NULL DEFAULT 0,
            gold INTEGER NOT NULL DEFAULT 0,
            regular INTEGER NOT NULL DEFAULT 0,
            uniform INTEGER NOT NULL DEFAULT 0,
            open_mine INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (task, annotator)
        );

        CREATE TABLE queue_cursors (
            task TEXT NOT NULL REFERENCES tasks(name),
            annotator TEXT NOT NULL,
            walk TEXT NOT NULL,
            level REAL NOT NULL,
            key INTEGER NOT NULL,
            pair INTEGER NOT NULL,
            PRIMARY KEY (task, annotator, walk)
        );

        CREATE TABLE queue_pending (
            task TEXT NOT NULL REFERENCES tasks(name),
            annotator TEXT NOT NULL,
            pair INTEGER NOT NULL REFERENCES pairs(id),
            PRIMARY KEY (task, annotator, pair)
        );

        CREATE TABLE writer_leases (
            task TEXT NOT NULL REFERENCES tasks(name),
            annotator TEXT NOT NULL,
            holder TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            started_at TEXT NOT NULL,
            beat_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            PRIMARY KEY (task, annotator)
        );

        CREATE INDEX claims_task_annotator ON claims(task, annotator);
        CREATE INDEX claims_task_expires ON claims(task, expires_at);
        """
    )
    # A claim whose holder labelled the pair is fulfilled (labelling drops the claim from now on).
    db.execute("DELETE FROM claims WHERE EXISTS (SELECT 1 FROM labels l WHERE l.pair = claims.pair "
               "AND l.annotator = claims.annotator)")
    from .queue_state import rebuild_task_queue

    for (task,) in db.execute("SELECT name FROM tasks").fetchall():
        rebuild_task_queue(db, task)


@migrations()
def m007_loop(db: Database) -> None:
    """Pointwise judging, PROFILE's fact-based extractors and reference answers.

    * ``judgments`` gains ``target`` (what one call judged: '' for a pair of responses, 'A' or
      'B' for one response alone, 'prompt' for the instruction, 'source' for the source
      document) and ``score`` (the number a pointwise call measured); the unique key becomes
      (run, pair, order, sample, target). SQLite cannot change a table constraint in place, so
      the table is rebuilt from its own stored definition (columns added by earlier
      migrations, indexes, views and triggers kept).
    * ``atomic_facts``: the atomic facts an extractor found in one response (or the source).
    * ``fact_labels``: one label per atomic fact for one PROFILE factor (e.g. "is this fact
      off the input's focus?"), from which the factor's ratio is computed.
    * ``pairs.reference``: a reference answer, for reference-guided judges.
    """
    # Idempotent: a database whose migration record was lost keeps its tables and data.
    columns = {row[1] for row in db.execute("PRAGMA table_info(judgments)").fetchall()}
    if "target" not in columns:
        _add_judgment_target(db)
    if "reference" not in {row[1] for row in db.execute("PRAGMA table_info(pairs)").fetchall()}:
        db.execute("ALTER TABLE pairs ADD COLUMN reference TEXT NOT NULL DEFAULT ''")
    _run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS atomic_facts (
            id INTEGER PRIMARY KEY,
            pair INTEGER NOT NULL REFERENCES pairs(id),
            target TEXT NOT NULL CHECK (target IN ('A', 'B', 'source')),
            extractor TEXT NOT NULL,
            facts TEXT NOT NULL DEFAULT '[]',
            run INTEGER REFERENCES judge_runs(id),
            created_at TEXT NOT NULL,
            UNIQUE (pair, target, extractor)
        );

        CREATE TABLE IF NOT EXISTS fact_labels (
            id INTEGER PRIMARY KEY,
            pair INTEGER NOT NULL REFERENCES pairs(id),
            target TEXT NOT NULL CHECK (target IN ('A', 'B')),
            factor TEXT NOT NULL,
            extractor TEXT NOT NULL,
            labels TEXT NOT NULL DEFAULT '[]',
            run INTEGER REFERENCES judge_runs(id),
            created_at TEXT NOT NULL,
            UNIQUE (pair, target, factor, extractor)
        )
        """,
    )


_JUDGMENTS_UNIQUE = re.compile(r'UNIQUE\s*\(\s*run\s*,\s*pair\s*,\s*"order"\s*,\s*sample\s*\)')


def _add_judgment_target(db: Database) -> None:
    """Rebuild ``judgments`` with ``target`` and ``score`` and the wider unique key."""
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'judgments'").fetchone()
    match = _JUDGMENTS_UNIQUE.search(sql)
    if match is None:  # never expected: the key is m001's
        raise RuntimeError("judgments: the unique key (run, pair, order, sample) was not found")
    columns = [row[1] for row in db.execute("PRAGMA table_info(judgments)").fetchall()]
    new_sql = (
        sql[: match.start()]
        + "target TEXT NOT NULL DEFAULT '',\n            score REAL,\n            "
        + 'UNIQUE (run, pair, "order", sample, target)'
        + sql[match.end():]
    )
    new_sql = re.sub(r"^CREATE TABLE\s+\"?judgments\"?", "CREATE TABLE judgments_rebuilt", new_sql, count=1)
    dependants = db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'judgments' "
        "AND (tbl_name = 'judgments' OR (type IN ('view', 'trigger') AND sql LIKE '%judgments%'))"
    ).fetchall()
    for kind, name, _ in dependants:
        if kind in ("view", "trigger"):
            db.execute(f'DROP {kind.upper()} "{name}"')
    db.execute(new_sql)
    quoted = ", ".join(f'"{c}"' for c in columns)
    db.execute(f"INSERT INTO judgments_rebuilt ({quoted}) SELECT {quoted} FROM judgments")
    db.execute("DROP TABLE judgments")
    db.execute("ALTER TABLE judgments_rebuilt RENAME TO judgments")
    for _, _, statement in dependants:
        db.execute(statement)


@migrations()
def m008_adjudications(db: Database) -> None:
    """Adjudications (an adjudicator's final label for a disputed pair, its reason and note;
    append-only revisions per pair) and the project's identity (a random id that pack files
    carry, so ``annotator merge`` refuses a file from another project). Safe to apply again
    (tests rewind the migrations table to simulate older databases)."""
    _run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS adjudications (
            id INTEGER PRIMARY KEY,
            pair INTEGER NOT NULL REFERENCES pairs(id),
            task TEXT NOT NULL REFERENCES tasks(name),
            adjudicator TEXT NOT NULL,
            revision INTEGER NOT NULL,
            choice TEXT NOT NULL CHECK (choice IN ('A', 'B', 'tie')),
            reason TEXT NOT NULL CHECK (reason IN
                ('guidelines_gap', 'ambiguous_pair', 'annotator_error', 'both_acceptable')),
            note TEXT NOT NULL DEFAULT '',
            queue TEXT NOT NULL DEFAULT 'humans' CHECK (queue IN ('humans', 'judges')),
            label_ids TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            UNIQUE (pair, revision)
        );
        CREATE INDEX IF NOT EXISTS adjudications_task ON adjudications(task);

        CREATE TABLE IF NOT EXISTS project (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        INSERT OR IGNORE INTO project (key, value) VALUES ('id', lower(hex(randomblob(16))))
        """
    )


@migrations()
def m006_annotators(db: Database) -> None:
    """Annotator accounts for the browser mode: a role, the scrypt hash of an access code
    (never the code), whether the account may sign in, and when it last did. (Applied after
    m007_loop: it was written alongside it. Safe to apply again, like m008.)"""
    _run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS annotators (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL DEFAULT 'annotator' CHECK (role IN ('annotator', 'researcher')),
            code_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            code_set_at TEXT NOT NULL,
            last_sign_in TEXT
        );
        """
    )


@migrations()
def m009_run_calibrations(db: Database) -> None:
    """A judge run's P(A) calibration (``annotator judge calibrate``): the fitted mapping and
    its report (ECE and Brier before and after on held-out pairs), one per run, gone with the
    run. Safe to apply again, like m008."""
    _run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS run_calibrations (
            run INTEGER PRIMARY KEY REFERENCES judge_runs(id) ON DELETE CASCADE,
            method TEXT NOT NULL,
            mapping TEXT NOT NULL,
            report TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """
    )


@migrations()
def m010_training(db: Database) -> None:
    """Training answers (the practice pairs of a task's [training]), stored apart from the
    labels so that no statistic ever reads them: one row per answer, numbered by attempt."""
    _run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS training_answers (
            id INTEGER PRIMARY KEY,
            task TEXT NOT NULL REFERENCES tasks(name),
            annotator TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            item INTEGER NOT NULL,
            choice TEXT NOT NULL,
            expected TEXT NOT NULL,
            correct INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (task, annotator, attempt, item)
        );
        """
    )


def _run_script(db: Database, script: str) -> None:
    """Run several statements inside the migration's transaction.

    ``executescript`` would commit the open transaction first; executing statement by
    statement keeps the migration atomic.
    """
    for statement in script.split(";\n"):
        lines = [ln for ln in statement.splitlines() if not ln.strip().startswith("--")]
        sql = "\n".join(lines).strip()
        if sql:
            db.execute(sql)


def schema_version(db: Database) -> str:
    """The newest migration applied, in this version's order ('' for an empty database); a
    migration of a newer version when the database holds one."""
    unknown = unknown_migrations(db)
    if unknown:
        return unknown[-1]
    applied = {m.name for m in migrations.applied(db)}
    return next((m.name for m in reversed(defined_migrations(migrations)) if m.name in applied), "")


def latest_version() -> str:
    return defined_migrations(migrations)[-1].name


def unknown_migrations(db: Database) -> list[str]:
    """Applied migrations this version does not define (the file was written by a newer one),
    oldest first by the time they were applied (then by the order their records were written),
    so that the last is the newest: the one a message names."""
    known = {m.name for m in defined_migrations(migrations)}
    applied = [(m.applied_at or "", i, m.name) for i, m in enumerate(migrations.applied(db)) if m.name not in known]
    return [name for _, _, name in sorted(applied)]


@migrations()
def m011_style_features(db: Database) -> None:
    """Style features of both responses of a pair (``store/style.py``: Arena-Hard-Auto's
    markdown counts and the length), counted once on first use; ``version`` says which
    counting rules made the row."""
    _run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS style_features (
            pair INTEGER PRIMARY KEY REFERENCES pairs(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            length_a INTEGER NOT NULL, length_b INTEGER NOT NULL,
            headers_a INTEGER NOT NULL, headers_b INTEGER NOT NULL,
            lists_a INTEGER NOT NULL, lists_b INTEGER NOT NULL,
            bold_a INTEGER NOT NULL, bold_b INTEGER NOT NULL,
            code_a INTEGER NOT NULL, code_b INTEGER NOT NULL
        );
        """
    )


@migrations()
def m012_both_bad(db: Database) -> None:
    """Labels and adjudications may hold ``both_bad`` (neither response is acceptable), for
    tasks whose ``choices`` offer it. SQLite cannot change a CHECK constraint in place: each
    table is rebuilt from its own stored definition with the wider constraint (every row,
    column, index, view and trigger kept). Safe to apply again."""
    for table in ("labels", "adjudications"):
        _rebuild_with(db, table, "CHECK (choice IN ('A', 'B', 'tie'))",
                      "CHECK (choice IN ('A', 'B', 'tie', 'both_bad'))")


def _rebuild_with(db: Database, table: str, old: str, new: str) -> None:
    """Rebuild ``table`` from its stored definition with ``old`` replaced by ``new`` (nothing
    to do when the definition no longer holds ``old``): the rows copied column by column, its
    indexes and the views and triggers that name it made again."""
    found = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    if found is None or old not in found[0]:
        return
    rebuilt = f"{table}_rebuilt"
    sql = re.sub(rf'^CREATE TABLE\s+"?{table}"?', f"CREATE TABLE {rebuilt}", found[0].replace(old, new, 1), count=1)
    columns = ", ".join(f'"{row[1]}"' for row in db.execute(f'PRAGMA table_info("{table}")').fetchall())
    dependants = db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name != ? "
        "AND (tbl_name = ? OR (type IN ('view', 'trigger') AND sql LIKE '%' || ? || '%'))", [table, table, table]
    ).fetchall()
    for kind, name, _ in dependants:
        if kind in ("view", "trigger"):
            db.execute(f'DROP {kind.upper()} "{name}"')
    db.execute(sql)
    db.execute(f"INSERT INTO {rebuilt} ({columns}) SELECT {columns} FROM {table}")
    db.execute(f'DROP TABLE "{table}"')
    db.execute(f'ALTER TABLE {rebuilt} RENAME TO "{table}"')
    for _, _, statement in dependants:
        db.execute(statement)


# m012 comes before m013: it rebuilds `labels`, which m013's ranking_labels references.
@migrations()
def m013_rankings(db: Database) -> None:
    """Ranked tasks (``[ranking]`` in task.toml, ``store/rankings.py``): an item's k responses
    (``ranking_items``), the item and positions behind each of its k(k-1)/2 ordinary pairs
    (``ranking_pairs``), the annotators' rankings as such (``rankings``: ordered tiers, ties
    allowed; append-only revisions) and which labels a ranking was expanded into
    (``ranking_labels``). Safe to apply again, like m008."""
    _run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS ranking_items (
            id INTEGER PRIMARY KEY,
            task TEXT NOT NULL REFERENCES tasks(name),
            item_id TEXT NOT NULL,
            prompt TEXT NOT NULL,
            responses TEXT NOT NULL,
            models TEXT NOT NULL DEFAULT '[]',
            domain TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            content_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (task, item_id)
        );

        CREATE TABLE IF NOT EXISTS ranking_pairs (
            pair INTEGER PRIMARY KEY REFERENCES pairs(id),
            item INTEGER NOT NULL REFERENCES ranking_items(id),
            position_a INTEGER NOT NULL,
            position_b INTEGER NOT NULL,
            UNIQUE (item, position_a, position_b)
        );
        CREATE INDEX IF NOT EXISTS ranking_pairs_item ON ranking_pairs(item);

        CREATE TABLE IF NOT EXISTS rankings (
            id INTEGER PRIMARY KEY,
            item INTEGER NOT NULL REFERENCES ranking_items(id),
            task TEXT NOT NULL REFERENCES tasks(name),
            annotator TEXT NOT NULL,
            revision INTEGER NOT NULL,
            tiers TEXT NOT NULL,
            shown TEXT NOT NULL,
            confidence INTEGER CHECK (confidence IS NULL OR confidence BETWEEN 1 AND 5),
            rationale TEXT NOT NULL DEFAULT '',
            seconds REAL,
            origin TEXT NOT NULL DEFAULT 'tui',
            created_at TEXT NOT NULL,
            UNIQUE (item, annotator, revision)
        );
        CREATE INDEX IF NOT EXISTS rankings_task_annotator ON rankings(task, annotator);

        CREATE TABLE IF NOT EXISTS ranking_labels (
            label INTEGER PRIMARY KEY REFERENCES labels(id),
            ranking INTEGER NOT NULL REFERENCES rankings(id)
        );
        CREATE INDEX IF NOT EXISTS ranking_labels_ranking ON ranking_labels(ranking);
        """
    )


@migrations()
def m014_flags_by_pair(db: Database) -> None:
    """An index on flags by (pair, annotator): the pair screen reads, sets and withdraws an
    annotator's flag on the pair on screen in time independent of how many flags the task
    holds (these were full scans of ``flags``). Safe to apply again."""
    _run_script(db, "CREATE INDEX IF NOT EXISTS flags_pair_annotator ON flags(pair, annotator);")


@migrations()
def m015_pairs_by_task_covering(db: Database) -> None:
    """One index on pairs by (task, id) that also holds each pair's ``pair_id`` and ``domain``,
    in place of ``pairs_task`` (task only; its equality look-ups were the unique key's anyway).

    A pair row stores ``domain`` after the prompt and both responses: reading it from the row
    walks every overflow page of the texts. With the two columns in the index, the reads of
    a task's pair ids and domains (the labels and judgments exports; the pages of ``id > ?
    ORDER BY id`` of every paged read keep the (task, id) order ``pairs_task`` gave) never
    touch the texts. Safe to apply again."""
    _run_script(
        db,
        """
        CREATE INDEX IF NOT EXISTS pairs_task_ids ON pairs(task, id, pair_id, domain);
        DROP INDEX IF EXISTS pairs_task;
        """,
    )
