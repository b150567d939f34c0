"""Judge runs and their judgments (LLM verdicts, imported verdicts, offline baselines)."""

from __future__ import annotations

from collections.abc import Iterable

from . import rows
from .columnar import ColumnarStore
from .models import JudgeRun, Judgment, utc_now

_NOT_FAILED = "status != 'failed'"  # the SQL of models.is_failed, negated
_UPSERT_JUDGMENT = (
    f"INSERT INTO judgments ({', '.join(f'[{c}]' for c in rows.JUDGMENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(rows.JUDGMENT_COLUMNS))}) "
    f"ON CONFLICT ({', '.join(f'[{c}]' for c in rows.JUDGMENT_KEY)}) DO UPDATE SET "
    + ", ".join(f"[{c}] = excluded.[{c}]" for c in rows.JUDGMENT_COLUMNS if c not in rows.JUDGMENT_KEY)
)


class JudgmentStore(ColumnarStore):
    def get_or_create_run(self, run: JudgeRun) -> JudgeRun:
        """The run of that name on that task, created with ``run``'s settings if absent."""
        with self.atomic():
            existing = self.get_run(run.task, run.name)
            if existing:
                return existing
            run.created_at = utc_now()
            run.id = self.db.table("judge_runs").insert(rows.run_to_row(run)).last_pk
            return run

    def get_run(self, task: str, name: str) -> JudgeRun | None:
        found = self.query("SELECT * FROM judge_runs WHERE task = ? AND name = ?", [task, name])
        return rows.run_from_row(found[0]) if found else None

    def get_run_by_id(self, id: int) -> JudgeRun | None:
        found = self.query("SELECT * FROM judge_runs WHERE id = ?", [id])
        return rows.run_from_row(found[0]) if found else None

    def runs(self, task: str | None = None) -> list[JudgeRun]:
        if task is None:
            found = self.query("SELECT * FROM judge_runs ORDER BY task, name")
        else:
            found = self.query("SELECT * FROM judge_runs WHERE task = ? ORDER BY name", [task])
        return [rows.run_from_row(r) for r in found]

    def save_judgments(self, judgments: Iterable[Judgment]) -> int:
        """Insert or replace judgments keyed by (run, pair, order, sample, target), in one
        transaction (a replaced judgment keeps its id). One prepared statement for every row,
        the row built straight from the fields: the judge runner writes thousands a minute."""
        now = utc_now()
        records = []
        for j in judgments:
            j.created_at = j.created_at or now
            records.append(rows.judgment_values(j))
        if records:
            with self.atomic():
                self.db.conn.executemany(_UPSERT_JUDGMENT, records)
        return len(records)

    def judgments(self, run: int) -> list[Judgment]:
        return [
            rows.judgment_from_row(r)
            for r in self.query('SELECT * FROM judgments WHERE run = ? ORDER BY pair, target, "order", sample', [run])
        ]

    def judgments_frame(self, task: str, include_factor_runs: bool = False, *, lean: bool = False):
        """Every judgment of a task's judge runs as a DataFrame (one row a judgment).

        Runs that measure a factor (kind "factor") are not judges of preference and are left
        out unless ``include_factor_runs``; pointwise runs (kind "pointwise": a score per
        response, see ``scores_frame``) are always left out. Columns: run, run_name, kind, pair,
        pair_id, domain, order, sample, verdict, p_a, unscored_reason, status, prompt_tokens,
        completion_tokens, latency_s, cost. ``lean``: without pair_id, domain and the token
        counts (the statistics take those from the pairs), much lighter at 100,000s of rows.
        """
        if lean:
            return self.arrow_frame(
                'SELECT j.run, r.name AS run_name, r.kind, j.pair, j."order", j.sample, j.verdict, j.p_a, '
                "j.unscored_reason, j.status, j.latency_s, j.cost FROM judgments j JOIN judge_runs r ON r.id = j.run "
                "WHERE r.task = ? AND (? OR r.kind != 'factor') AND j.target = '' "
                "ORDER BY j.run, j.pair, j.\"order\", j.sample",
                [task, include_factor_runs],
            )
        return self.arrow_frame(
            'SELECT j.run, r.name AS run_name, r.kind, j.pair, p.pair_id, p.domain, j."order", '
            "j.sample, j.verdict, j.p_a, j.unscored_reason, j.status, j.prompt_tokens, j.completion_tokens, "
            "j.latency_s, j.cost FROM judgments j JOIN judge_runs r ON r.id = j.run "
            "JOIN pairs p ON p.id = j.pair WHERE r.task = ? AND (? OR r.kind != 'factor') AND j.target = '' "
            "ORDER BY j.run, j.pair, j.\"order\", j.sample",
            [task, include_factor_runs],
        )

    def scores_frame(self, task: str, include_factor_runs: bool = False):
        """Every pointwise score of a task (one row a call): run, run_name, kind, pair, pair_id,
        domain, target ('A', 'B', 'prompt' or 'source'), sample, score (None when unscored),
        unscored_reason, cost, cache_key (the request: pairs that share an instruction share
        a prompt scorer's key). Runs of kind "factor" only with ``include_factor_runs``."""
        import pandas as pd

        columns = ["run", "run_name", "kind", "pair", "pair_id", "domain", "target", "sample", "score",
                   "unscored_reason", "cost", "cache_key"]
        data = self.query(
            "SELECT j.run, r.name AS run_name, r.kind, j.pair, p.pair_id, p.domain, j.target, j.sample, "
            "j.score, j.unscored_reason, j.cost, j.cache_key FROM judgments j JOIN judge_runs r ON r.id = j.run "
            "JOIN pairs p ON p.id = j.pair WHERE r.task = ? AND j.target != '' AND r.kind != 'generation' "
            "AND (? OR r.kind != 'factor') "
            "ORDER BY j.run, j.pair, j.target, j.sample",
            [task, include_factor_runs],
        )
        return pd.DataFrame(data, columns=columns)

    # -- used by the judge runner (annotator.judge) ------------------------------------------
    def update_run(self, run: JudgeRun) -> None:
        """Write back a run's kind, model, endpoint, template and params (e.g. a pending batch id)."""
        row = rows.run_to_row(run)
        with self.atomic():
            self.db.execute(
                "UPDATE judge_runs SET kind = ?, model = ?, endpoint = ?, template = ?, template_version = ?, "
                "params = ? WHERE id = ?",
                [row["kind"], row["model"], row["endpoint"], row["template"], row["template_version"],
                 row["params"], run.id],
            )

    def has_judgments(self, run: int) -> bool:
        return bool(self.query("SELECT 1 FROM judgments WHERE run = ? LIMIT 1", [run]))

    def delete_run(self, run: int) -> int:
        """Delete a judge run and its judgments (nothing else: labels, pairs and other runs stay),
        in one transaction; returns the number of judgments deleted."""
        with self.atomic():
            deleted = self.db.execute("DELETE FROM judgments WHERE run = ?", [run]).rowcount
            self.db.execute("DELETE FROM judge_runs WHERE id = ?", [run])
        return deleted

    def rename_run(self, run: int, new_name: str) -> None:
        """Give a run another name (unique per task: the database refuses a taken one)."""
        with self.atomic():
            self.db.execute("UPDATE judge_runs SET name = ? WHERE id = ?", [new_name, run])

    def judgment_slots(self, run: int) -> dict[tuple[int, str, int, str], tuple[str, str]]:
        """``(pair, order, sample, target) -> (cache_key, status)`` for every judgment of a run."""
        return {
            (r["pair"], r["order"], r["sample"], r["target"]): (r["cache_key"], r["status"])
            for r in self.query(
                'SELECT pair, "order", sample, target, cache_key, status FROM judgments WHERE run = ?',
                [run],
            )
        }

    def judgments_by_cache_keys(self, keys: Iterable[str]) -> dict[str, Judgment]:
        """The newest finished (not failed) judgment for each cache key that has one, any run."""
        found: dict[str, Judgment] = {}
        keys = list(dict.fromkeys(k for k in keys if k))
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for r in self.query(
                f"SELECT * FROM judgments WHERE cache_key IN ({marks}) AND {_NOT_FAILED} ORDER BY id",
                chunk,
            ):
                found[r["cache_key"]] = rows.judgment_from_row(r)
        return found

    def judgment_summaries(self, run: int) -> list[dict]:
        """One light row per judgment of a run (no messages or raw output): pair, pair_id,
        order, sample, target, verdict, p_a, score, unscored_reason, status, tokens, latency_s, cost."""
        return self.query(
            'SELECT j.pair, p.pair_id, j."order", j.sample, j.target, j.verdict, j.p_a, j.score, '
            "j.unscored_reason, j.status, j.prompt_tokens, j.completion_tokens, j.latency_s, j.cost FROM judgments j "
            'JOIN pairs p ON p.id = j.pair WHERE j.run = ? ORDER BY j.pair, j.target, j."order", j.sample',
            [run],
        )

    def judgment_texts(self, run_name: str, task: str, pairs: Iterable[int]) -> dict[int, dict[str, str]]:
        """Pair -> {order: the judge's explanation (or its raw output)} for some pairs of a run."""
        pairs = [int(p) for p in pairs]
        out: dict[int, dict[str, str]] = {}
        for start in range(0, len(pairs), 500):
            chunk = pairs[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for r in self.query(
                f'SELECT j.pair, j."order", j.explanation, j.raw_output FROM judgments j JOIN judge_runs r '
                f"ON r.id = j.run WHERE r.task = ? AND r.name = ? AND j.pair IN ({marks}) "
                'ORDER BY j.pair, j."order", j.sample',
                [task, run_name, *chunk],
            ):
                out.setdefault(r["pair"], {}).setdefault(r["order"], r["explanation"] or r["raw_output"] or "")
        return out

    def run_judgment_counts(self) -> dict[int, dict]:
        """Per run id: number of judgments, of scored ones, and the summed cost."""
        return {
            r["run"]: {"judgments": r["n"], "scored": r["scored"], "cost": r["cost"]}
            for r in self.query(
                "SELECT run, COUNT(*) AS n, SUM(verdict IS NOT NULL OR score IS NOT NULL) AS scored, SUM(cost) AS cost "
                "FROM judgments GROUP BY run"
            )
        }
