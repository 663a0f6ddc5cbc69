"""Generated page fragments: the experiment list and the gallery of reproduced results.

At ``builder-inited`` this extension writes three MyST fragments into ``docs/_generated/``
(ignored by git, excluded from the page list, pulled in by ``{include}``):

* ``experiments_table.md``: every experiment registered with the runner (name, description,
  seeds), so ``experiments.md`` lists new experiments as soon as their module lands;
* ``featured.md``: the figures of ``docs/results/frontier/`` (the accuracy-fairness frontier of
  every classifier of the library), shown on the home page once that experiment is committed;
* ``results_index.md``: one section per folder ``docs/results/<experiment>/`` (written by
  ``fairlearn-online run <experiment> --out docs/results/<experiment>``): the settings of the
  run (``run.json``), its figures, its small summary tables rendered inline, download links to
  every CSV, and links to the user-guide pages that discuss it.

A fragment is rewritten only when its text changes, so incremental builds stay incremental.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

MAX_INLINE_ROWS = 30  # larger CSV tables are only offered for download


def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _format_columns(rows: list[list[str]], width: int) -> list[list[str]]:
    """Every column of ``rows`` in one number format (``1.682e-05`` never next to
    ``0.0001032``): the experiments' own table formatter."""
    from fairlearn_online.experiments import format_column

    columns = [format_column([r[j] for r in rows]) for j in range(width)]
    return [[columns[j][i].replace("|", "\\|") for j in range(width)] for i in range(len(rows))]


def csv_to_markdown(path: Path, max_rows: int = MAX_INLINE_ROWS) -> str | None:
    """A Markdown table of a small CSV, or None if it is too long or empty.

    pandas writes the result of ``groupby(...).agg(["mean", "std"])`` with two header rows
    (metric, statistic) and a third row holding the index name; those are merged into one
    header ``metric (statistic)``.
    """
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        return None
    header, body = rows[0], rows[1:]
    if (len(body) >= 2 and body[1] and body[1][0] and not any(body[1][1:])
            and not body[0][0]):  # pandas MultiIndex columns
        stats = body[0]
        header = [body[1][0]] + [f"{m} ({s})" if s else m for m, s in zip(header[1:], stats[1:])]
        body = body[2:]
    if not body or len(body) > max_rows:
        return None
    width = len(header)
    lines = ["| " + " | ".join(h.replace("|", "\\|") or " " for h in header) + " |",
             "|" + "---|" * width]
    body = [(row + [""] * width)[:width] for row in body]
    for row in _format_columns(body, width):
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _pages_citing(srcdir: Path, name: str) -> list[str]:
    """Documents (without suffix) whose text references ``results/<name>/``."""
    found = []
    for page in sorted(srcdir.glob("user_guide/*.md")) + sorted(srcdir.glob("user_guide/*.rst")):
        if f"results/{name}/" in page.read_text(errors="replace"):
            found.append(page.relative_to(srcdir).with_suffix("").as_posix())
    return found


def _descriptions() -> dict[str, str]:
    try:
        from fairlearn_online.experiments import list_experiments

        return {e.name: e.description for e in list_experiments()}
    except Exception:  # reported by experiments_table()
        return {}


def results_index(srcdir: Path) -> str:
    descriptions = _descriptions()
    results = srcdir / "results"
    folders = sorted(p for p in results.iterdir() if p.is_dir()) if results.is_dir() else []
    folders = [p for p in folders if any(p.glob("*.csv")) or any(p.glob("*.png"))]
    if not folders:
        return "No reproduced results have been committed to `docs/results/` yet.\n"
    out = []
    for folder in folders:
        name = folder.name
        out.append(f"## {name}\n")
        if name in descriptions:
            out.append(f"*{descriptions[name]}.*\n")
        meta_path = folder / "run.json"
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
            quick = " --quick" if meta.get("quick") else ""
            out.append(
                f"Produced by `fairlearn-online run {meta.get('experiment', name)}{quick} "
                f"--seeds {meta.get('seeds')} --out docs/results/{name}`: "
                f"{meta.get('n_points')} points, {meta.get('seeds')} seeds, "
                f"{meta.get('seconds')} s with backend `{meta.get('backend')}` "
                f"(n_jobs={meta.get('n_jobs')}, Python {meta.get('python')}).\n")
        pages = _pages_citing(srcdir, name)
        if pages:
            out.append("Discussed in: " + ", ".join(f"{{doc}}`/{p}`" for p in pages) + ".\n")
        for png in sorted(folder.glob("*.png")):
            rel = png.relative_to(srcdir).as_posix()
            out.append(f"```{{figure}} {rel}\n:width: 100%\n:alt: {name}: {png.stem}\n\n"
                       f"`{png.stem}` ({name})\n```\n")
        tables = sorted(folder.glob("*.md"))
        if tables:
            links = ", ".join(f"{{doc}}`{t.name} </{t.relative_to(srcdir).with_suffix('').as_posix()}>`"
                              for t in tables)
            out.append(f"Tables written by the experiment: {links}.\n")
        csvs = sorted(folder.glob("*.csv"))
        for table in csvs:
            markdown = csv_to_markdown(table)
            if markdown is not None and table.stem not in ("results", "curves"):
                out.append(f"Table `{table.name}`:\n\n{markdown}\n")
        if csvs:
            links = ", ".join(f"{{download}}`{t.name} <{t.relative_to(srcdir).as_posix()}>`"
                              for t in csvs)
            out.append(f"Tidy CSV tables: {links}.\n")
    return "\n".join(out)


def experiments_table() -> str:
    try:
        from fairlearn_online.experiments import list_experiments

        experiments = [e for e in list_experiments() if not e.name.startswith("_")]
    except Exception as exc:  # an experiment module that fails to import is a real bug
        from sphinx.util import logging  # imported here: the helpers above need no Sphinx

        logging.getLogger(__name__).warning("could not list the registered experiments: %r",
                                            exc)
        return "The experiment registry could not be imported.\n"
    lines = ["| command | what it runs | seeds (default / `--quick`) |", "|---|---|---|"]
    for exp in experiments:
        lines.append(f"| `fairlearn-online run {exp.name}` | {exp.description} | "
                     f"{exp.default_seeds} / {exp.quick_seeds} |")
    return "\n".join(lines) + "\n"


FEATURED = "frontier"  # the experiment whose figures the home page shows, once committed


def featured(srcdir: Path) -> str:
    """The figures of docs/results/<FEATURED>/ for the home page (empty until they exist)."""
    folder = srcdir / "results" / FEATURED
    pngs = sorted(folder.glob("*.png")) if folder.is_dir() else []
    out = []
    for png in pngs:
        rel = png.relative_to(srcdir).as_posix()
        out.append(f"```{{figure}} {rel}\n:width: 100%\n:alt: {FEATURED}: {png.stem}\n\n"
                   f"Accuracy against demographic-parity difference of every classifier of the "
                   f"library (`fairlearn-online run {FEATURED}`, figure `{png.stem}`); "
                   f"see {{doc}}`/results`.\n```\n")
    return "\n".join(out) if out else "\n"


def _generate(app):
    srcdir = Path(app.srcdir)
    _write_if_changed(srcdir / "_generated" / "featured.md", featured(srcdir))
    _write_if_changed(srcdir / "_generated" / "results_index.md", results_index(srcdir))
    _write_if_changed(srcdir / "_generated" / "experiments_table.md", experiments_table())


def setup(app):
    app.connect("builder-inited", _generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
