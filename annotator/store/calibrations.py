"""Calibrations of judge runs' P(A) (``annotator judge calibrate``): one mapping per run.

The mapping (method and fitted parameters) and the report it was measured with are kept as
JSON; fitting again replaces them. Used only when a command is asked for calibrated P(A)
(``--calibrated``).
"""

from __future__ import annotations

import json
from typing import Any

from .base import StoreBase
from .models import utc_now


class CalibrationStore(StoreBase):
    def save_calibration(self, run: int, method: str, mapping: dict[str, Any], report: dict[str, Any]) -> bool:
        """Store the run's calibration; True when it replaced an earlier one."""
        with self.atomic():
            before = self.db.execute("SELECT 1 FROM run_calibrations WHERE run = ?", [run]).fetchone()
            self.db.execute(
                "INSERT OR REPLACE INTO run_calibrations (run, method, mapping, report, created_at) VALUES (?, ?, ?, ?, ?)",
                [run, method, json.dumps(mapping), json.dumps(report), utc_now()])
        return before is not None

    def run_calibrations(self, task: str) -> dict[str, dict[str, Any]]:
        """run name -> {method, mapping, report, created_at} for the task's calibrated runs."""
        found = self.query(
            "SELECT r.name, c.method, c.mapping, c.report, c.created_at FROM run_calibrations c "
            "JOIN judge_runs r ON r.id = c.run WHERE r.task = ? ORDER BY r.name", [task])
        return {row["name"]: {"method": row["method"], "mapping": json.loads(row["mapping"]),
                              "report": json.loads(row["report"]), "created_at": row["created_at"]} for row in found}
