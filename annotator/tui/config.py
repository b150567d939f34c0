"""The annotation app's settings, read from a TOML config file.

The file is the user's annotator config (``annotator.config``); a missing file means
defaults. Example::

    [tui]
    auto_advance = true
    code_theme = "dracula"

    [keymap]            # binding id = "key[,key...]"; ids are listed by `?` in the app
    save = "enter,ctrl+s"
    choose_left = "1,a"
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path

from annotator.config import ConfigError, config_path, read_config

__all__ = ["ConfigError", "Settings", "claim_duration", "config_path", "load_settings"]


@dataclass
class Settings:
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> comma-separated keys, overriding the defaults in ``keymap.py``."""

    auto_advance: bool = False
    """Save as soon as a choice key is pressed, when the task requires nothing else."""

    claim_minutes: float = 10.0
    """How long a served pair stays reserved for this annotator after the app stops renewing
    the claim (it renews it while running); a task's own ``claim_minutes`` wins."""

    code_theme: str = "monokai"
    """Pygments theme for code blocks in responses."""

    theme: str = "textual-dark"
    """Textual theme of the app."""

    renderer: str = "fast"
    """``fast`` (pre-rendered, cached lines) or ``stock`` (Textual's Markdown widget; slow,
    kept for the latency benchmark's comparison)."""

    prefetch: bool = True
    """Render the next pair in the background while the current one is being read."""

    @property
    def claim_for(self) -> timedelta:
        return timedelta(minutes=self.claim_minutes)


def claim_duration(task, settings: Settings) -> timedelta:
    """How long a claim lasts unrenewed: the task's ``claim_minutes`` (task.toml) when it
    sets one, else the annotator's config (``[tui] claim_minutes``, default 10)."""
    minutes = task.settings.get("claim_minutes")
    if isinstance(minutes, (int, float)) and not isinstance(minutes, bool) and minutes > 0:
        return timedelta(minutes=minutes)
    return settings.claim_for


_TUI_FIELDS = {f.name: f for f in fields(Settings) if f.name != "keymap"}


def load_settings(path: Path | None = None) -> Settings:
    """Settings from ``path`` (default :func:`config_path`); defaults when it is absent."""
    from .keymap import check_keymap

    path = path or config_path()
    data = read_config(path)
    values = {}
    for key, value in data.get("tui", {}).items():
        if key not in _TUI_FIELDS:
            raise ConfigError(f"{path}: [tui] has no setting {key!r}; known: {sorted(_TUI_FIELDS)}")
        expected = type(Settings().__getattribute__(key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise ConfigError(
                f"{path}: [tui] {key} must be a {expected.__name__}, found {value!r}"
            )
        values[key] = value
    if values.get("claim_minutes", 1.0) <= 0:
        raise ConfigError(f"{path}: [tui] claim_minutes must be above 0, found {values['claim_minutes']!r}")
    if values.get("renderer", "fast") not in ("fast", "stock"):
        raise ConfigError(f"{path}: [tui] renderer must be 'fast' or 'stock', found {values['renderer']!r}")
    keymap = data.get("keymap", {})
    problems = check_keymap(keymap)
    if problems:
        raise ConfigError(f"{path}: [keymap] " + "; ".join(problems))
    return Settings(keymap=dict(keymap), **values)
