"""Shared by the per-source tests: run a step on its real files or on a text written to tmp."""

from __future__ import annotations

import copy

import polars as pl

from explorer.sources.base import StepContext


def run_step(step, raw_dir=None):
    """(values, rejects, reports) of a step run on its YAML's files (the real data by default)."""
    ctx = StepContext(step.META) if raw_dir is None else StepContext(step.META, raw_dir=raw_dir)
    step.run(ctx)
    return ctx.result()


def run_on_text(step, tmp_path, relative: str, text: str):
    """Run `step` on one file holding `text`, written at tmp_path/relative (for bad-input tests)."""
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    meta = copy.deepcopy(step.META)
    meta["files"] = [relative]
    ctx = StepContext(meta, raw_dir=tmp_path)
    step.run(ctx)
    return ctx.result()


def one(values: pl.DataFrame, **where) -> dict:
    """The single row matching every column=value given (None matches null)."""
    rows = values.filter(*[pl.col(k) == v if v is not None else pl.col(k).is_null() for k, v in where.items()])
    assert rows.height == 1, f"{where}: {rows.height} rows"
    return rows.row(0, named=True)
