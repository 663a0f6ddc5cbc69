"""The example gallery (docs/gallery/): every script runs and writes its figure, every script is
on the gallery page with its committed figure."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

GALLERY = Path(__file__).resolve().parent.parent / "docs" / "gallery"
SCRIPTS = sorted(GALLERY.glob("plot_*.py"))

pytestmark = pytest.mark.skipif(not SCRIPTS, reason="docs/gallery is not part of this checkout")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_writes_png_and_svg(script, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    png, svg = tmp_path / f"{script.stem}.png", tmp_path / f"{script.stem}.svg"
    assert png.is_file() and png.stat().st_size > 1000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert svg.is_file() and svg.stat().st_size > 1000
    assert "<svg" in svg.read_text()[:2000]
    # nothing written next to the script when an output directory is given
    assert sorted(p.name for p in tmp_path.iterdir()) == [png.name, svg.name]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_is_documented_on_the_gallery_page(script):
    docstring = ast.get_docstring(ast.parse(script.read_text()))
    assert docstring and len(docstring.splitlines()) >= 3, "title line + description"
    page = (GALLERY / "index.md").read_text()
    assert f"```{{literalinclude}} {script.name}\n" in page
    assert f"(images/{script.stem}.png)" in page
    assert (GALLERY / "images" / f"{script.stem}.png").is_file()
    assert (GALLERY / "images" / f"{script.stem}.svg").is_file()
