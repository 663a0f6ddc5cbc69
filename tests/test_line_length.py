"""Every line of the package is at most 100 characters (docs/contributing.md's code style): its
modules and its data files, everything below ``fairlearn_online/`` but compiled caches and
``_data/``, where a non-editable install puts the vendored raw datasets (``datasets/``, third
parties' files kept byte for byte, see ``datasets/PROVENANCE.md``)."""

from pathlib import Path

import fairlearn_online

ROOT = Path(fairlearn_online.__file__).parent
LIMIT = 100


def _text_files(root):
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if path.is_file() and "__pycache__" not in parts and parts[0] != "_data":
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:  # a binary file has no lines to keep short
                continue


def _long_lines(root=ROOT):
    return [f"{path.relative_to(root.parent).as_posix()}:{number} ({len(line)} characters)"
            for path, text in _text_files(root)
            for number, line in enumerate(text.splitlines(), 1) if len(line) > LIMIT]


def test_no_line_is_longer_than_100_characters():
    assert _long_lines() == []


def test_a_long_line_is_found(tmp_path):
    package = tmp_path / "fairlearn_online"
    (package / "sub").mkdir(parents=True)
    (package / "short.py").write_text("x = 1\n" + "#" * LIMIT + "\n")
    (package / "sub" / "table.csv").write_text("a,b\n" + "1," * 51 + "\n")
    (package / "image.png").write_bytes(b"\x89PNG\xff\xfe" * 40)
    (package / "_data").mkdir()
    (package / "_data" / "adult.names").write_text("|" * (LIMIT + 1) + "\n")  # vendored
    assert _long_lines(package) == ["fairlearn_online/sub/table.csv:2 (102 characters)"]
