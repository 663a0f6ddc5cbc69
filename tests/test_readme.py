"""The README: each ```python block runs on its own, and prints the numbers its comments claim."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(), re.M | re.S) if README.exists() else []


@pytest.mark.skipif(not BLOCKS, reason="README.md is not part of this checkout")
@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs_on_its_own_and_prints_what_it_claims(block, tmp_path):
    proc = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr
    printed = [float(v) for v in re.findall(r"-?\d+\.\d+", proc.stdout)]
    for line in block.splitlines():
        if line.startswith("print(") and "#" in line:
            for claim in re.findall(r"\d+\.\d+", line.split("#", 1)[1]):
                decimals = len(claim.split(".")[1])
                assert any(round(v, decimals) == float(claim) for v in printed), (
                    f"the README claims {claim} for {line.strip()!r}; it printed {proc.stdout!r}")

