"""The documentation: its examples run, and the site builds with warnings as errors."""

from __future__ import annotations

import doctest
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
# Hand-written pages whose ```pycon blocks are doctests (the method pages join as they land).
PAGES = sorted(p for p in DOCS.rglob("*.md")
               if "_build" not in p.parts and "_generated" not in p.parts
               and "results" not in p.relative_to(DOCS).parts[:1])
FENCE = re.compile(r"^```pycon\n(.*?)^```", re.M | re.S)
# A script, stylesheet or preloaded resource whose address names a host ("http://", "https://" or
# protocol-relative "//"): offline, such a page would lose its formulas or its styles.
_TAG = re.compile(r"<(script|link)\b[^>]*>", re.I | re.S)
_SOURCE = re.compile(r"""\b(src|href)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]*)""", re.I)
_LOADED_LINK = re.compile(r"""\brel\s*=\s*["']?[^"'>]*\b(stylesheet|preload|modulepreload|"""
                          r"""icon)\b""", re.I)


def external_resources(html: str) -> list[str]:
    """Addresses on other hosts of the scripts and stylesheets an HTML page loads.

    Every ``<script src=...>``, and every ``<link>`` the browser fetches to show the page
    (stylesheet, preload, icon), whose address is absolute (``http(s)://``) or
    protocol-relative (``//host/...``). Hyperlinks (``<a href>``) are not loaded, so they are
    not counted.
    """
    found = []
    for tag in _TAG.finditer(html):
        text = tag.group(0)
        if tag.group(1).lower() == "link" and not _LOADED_LINK.search(text):
            continue
        for match in _SOURCE.finditer(text):
            if tag.group(1).lower() == "script" and match.group(1).lower() != "src":
                continue
            found.append(match.group(2))
    return found

pytestmark = pytest.mark.skipif(not DOCS.is_dir(), reason="docs/ is not part of this checkout")


def _examples(page: Path) -> str:
    """The page's ```pycon blocks, every other line blanked (doctest line numbers = file's)."""
    text = page.read_text()
    out, last = [], 0
    for match in FENCE.finditer(text):
        out.append(re.sub(r"[^\n]", "", text[last:match.start(1)]))
        out.append(match.group(1))
        last = match.end(1)
    return "".join(out) if out else ""


@pytest.mark.parametrize("page", [p for p in PAGES if _examples(p)],
                         ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_examples_run(page):
    import matplotlib

    matplotlib.use("Agg")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(_examples(page), {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} failing examples in {page}"


def test_docs_build_without_warnings(tmp_path):
    """``sphinx-build -W --keep-going -b html docs <tmp>``, as in .ci/run."""
    for module in ("sphinx", "numpydoc", "myst_parser", "pydata_sphinx_theme",
                   "sphinx-mathjax-offline", "sphinx_copybutton"):
        pytest.importorskip(module, reason=f"{module} is not installed (pip install '.[docs]')")
    src = tmp_path / "docs"
    # build from a copy so the run never writes into the work tree (autosummary stubs)
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build", "generated", "_generated"))
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(src),
         str(out)],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert (out / "index.html").is_file()
    api = (out / "api" / "generated" / "fairlearn_online.metrics.rst").with_suffix(".html")
    assert "demographic_parity_difference" in api.read_text()
    n_figures = 0
    for page in out.rglob("*.html"):  # every figure of every page was copied into the site
        for figure in re.findall(r'<img[^>]+src="([^"]+)"', page.read_text()):
            if "://" not in figure and not figure.startswith("data:"):
                assert (page.parent / figure).is_file(), f"{page}: missing {figure}"
                n_figures += 1
    results_dirs = [d for d in (DOCS / "results").glob("*") if any(d.glob("*.png"))]
    assert n_figures >= len(results_dirs)

    # The site works offline: no page loads a script or stylesheet from another host, and the
    # math renderer is part of the build (sphinx-mathjax-offline), not a CDN.
    external = {page.relative_to(out).as_posix(): external_resources(page.read_text())
                for page in out.rglob("*.html")}
    external = {page: found for page, found in external.items() if found}
    assert not external, f"pages loading resources from other hosts: {external}"
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
    math_page = (out / "user_guide" / "dcov.html").read_text()
    assert '\\(' in math_page or 'class="math' in math_page
    assert re.search(r'<script[^>]+src="\.\./_static/mathjax/tex-chtml\.js"', math_page)
    # code blocks carry a copy button that leaves out the ">>> " / "... " / "$ " prompts
    assert (out / "_static" / "copybutton.js").is_file()
    assert "copybutton.js" in math_page


def _tracked_files(root: Path) -> list[Path]:
    """The repository's tracked files (``git ls-files``), or every file of the tree without git."""
    try:
        proc = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True,
                              timeout=60)
    except (OSError, subprocess.SubprocessError):
        proc = None
    if proc is not None and proc.returncode == 0 and proc.stdout:
        return [root / name for name in proc.stdout.decode().split("\0") if name]
    skip = {".git", "_build", "generated", "_generated", "__pycache__", ".venv", "node_modules"}
    return [p for p in root.rglob("*") if p.is_file() and not skip & set(p.parts)]


def test_no_file_cites_the_team_design_notes():
    """The project documents itself: no file refers to the team's private design notes.

    The algorithms are written in the method pages of ``docs/user_guide/`` ("Algorithm"); code,
    docs, results and tests cite those pages or the papers. The notes' file name is assembled
    here so that this file does not mention it either.
    """
    name = "".join(["DESIGN", ".", "md"]).encode()
    root = DOCS.parent
    offenders = []
    for path in _tracked_files(root):
        try:
            data = path.read_bytes()
        except OSError:  # listed by git but absent (e.g. deleted in the work tree)
            continue
        if name in data:
            lines = [i + 1 for i, line in enumerate(data.split(b"\n")) if name in line]
            offenders.append(f"{path.relative_to(root).as_posix()}:{lines}")
    assert not offenders, f"cite the docs page or the paper instead: {offenders}"


def test_external_resources_finds_scripts_and_stylesheets_on_other_hosts():
    page = """
    <script src="../_static/doctools.js?v=1"></script>
    <script defer="defer" src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>
    <script src='//cdn.example.org/x.js'></script>
    <script>window.MathJax = {loader: {paths: {a: "https://x.org"}}}</script>
    <link rel="stylesheet" href="http://fonts.example.org/font.css">
    <link rel="preload" as="script" href="../_static/scripts/bootstrap.js">
    <link rel="next" title="Next" href="https://example.org/next.html">
    <a href="https://www.sphinx-doc.org/">Sphinx</a>
    """
    assert external_resources(page) == [
        "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js", "//cdn.example.org/x.js",
        "http://fonts.example.org/font.css"]
    assert external_resources('<script src="../_static/mathjax/tex-chtml.js"></script>') == []


def test_copybutton_prompts_are_stripped():
    """The prompt pattern of conf.py removes ">>> ", "... " and "$ " (JS and Python agree here)."""
    conf = (DOCS / "conf.py").read_text()
    assert re.search(r"^copybutton_prompt_is_regexp = True$", conf, re.M)
    pattern = re.search(r'^copybutton_prompt_text = r"(.*)"$', conf, re.M).group(1)
    prompt = re.compile(f"^({pattern})")
    for line, code in ((">>> import numpy as np", "import numpy as np"),
                       ("...     print(x)", "    print(x)"),
                       ("$ pip install '.[docs]'", "pip install '.[docs]'")):
        assert prompt.match(line) and prompt.sub("", line) == code
    assert not prompt.match("0.834")  # an output line is not a prompt


def test_results_gallery_renders_tidy_and_summary_tables(tmp_path):
    """The results gallery (docs/_ext/results_index.py) on a folder written by the runner."""
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import results_index
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    import pandas as pd

    folder = tmp_path / "results" / "toy"
    folder.mkdir(parents=True)
    results = pd.DataFrame({"method": ["a", "a", "b"], "seed": [0, 1, 0],
                            "accuracy": [0.81234567, 0.8, 0.7]})
    results.to_csv(folder / "results.csv", index=False)
    # pandas writes groupby().agg([...]) with two header rows and an index-name row
    results.groupby("method")[["accuracy"]].agg(["mean", "std"]).to_csv(folder / "summary.csv")
    (folder / "run.json").write_text('{"experiment": "toy", "quick": false, "seeds": 2, '
                                     '"n_points": 3, "n_jobs": 1, "backend": "loky", '
                                     '"seconds": 1.5, "python": "3.11"}')
    (folder / "fig.png").write_bytes(b"")

    table = results_index.csv_to_markdown(folder / "summary.csv")
    assert table.splitlines()[0] == "| method | accuracy (mean) | accuracy (std) |"
    # one number format per column: b's mean 0.7 has the same four decimals as a's
    assert table.splitlines()[2] == "| a | 0.8062 | 0.008730 |"
    assert table.splitlines()[3] == "| b | 0.7000 |  |"
    assert results_index.csv_to_markdown(folder / "results.csv", max_rows=2) is None

    page = results_index.results_index(tmp_path)
    assert "## toy" in page
    assert "`fairlearn-online run toy --seeds 2 --out docs/results/toy`" in page
    assert "```{figure} results/toy/fig.png" in page
    assert "| method | accuracy (mean) | accuracy (std) |" in page
    assert "{download}`results.csv <results/toy/results.csv>`" in page
    assert results_index.featured(tmp_path).strip() == ""
