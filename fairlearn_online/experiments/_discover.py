"""Import every experiment module so that each registers itself (one module per experiment)."""

import importlib
import pkgutil

from . import __path__ as _package_path

for _module in pkgutil.iter_modules(_package_path):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__package__}.{_module.name}")
