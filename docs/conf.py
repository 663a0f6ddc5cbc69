"""Sphinx configuration of the fairlearn_online documentation.

Build (warnings are errors, broken cross-references fail the build)::

    pip install ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html

Pages are MyST Markdown (``.md``) except the API reference (``api/*.rst``), whose pages are
generated from the docstrings by autosummary + autodoc + numpydoc into ``api/generated/``.
The build needs no network: there is no intersphinx mapping (its inventories would have to be
downloaded), so references to third-party objects are plain text (see ``nitpick_ignore_regex``).
The site needs none either: MathJax is copied into ``_static/mathjax/`` by the
``sphinx-mathjax-offline`` extension, and no page loads a script or stylesheet from another host
(``tests/test_docs.py`` checks every built page).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # importing the experiment modules must not open a display

import fairlearn_online  # noqa: E402

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "fairlearn_online"
author = "fairlearn_online developers"
copyright = "2026, fairlearn_online developers"
release = fairlearn_online.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 bundled: mathjax_path = _static/mathjax/tex-chtml.js
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
    "numpydoc",
    "myst_parser",
    "results_index",  # docs/_ext/results_index.py: the gallery of docs/results/*/
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "_generated",  # included by results.md, not pages of their own
    "README.md",  # docs/README.md: notes for contributors, not a page
    "**/README.md",
    "Thumbs.db",
    ".DS_Store",
]
templates_path = ["_templates"]

# -- cross-references ------------------------------------------------------------------------
# Every unresolved reference is a warning, hence an error with -W.
nitpicky = True
# intersphinx would need to download the inventories of numpy, scikit-learn, pandas... at build
# time, and the build must work offline. References to those libraries' objects therefore
# cannot be resolved; they stay plain (unlinked) text. Only third-party namespaces are ignored:
# a broken reference to one of our own objects still fails the build.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|scipy|sklearn|pandas|pd|joblib|cvxpy|numba|matplotlib|fairlearn"
               r"|river|dask|distributed|dcor|dit|typing|collections|pathlib|dataclasses)"
               r"(\..*)?"),
]
nitpick_ignore = []
# The user guide grows one method page at a time: see _user_guide_toctree below.

# -- autodoc / autosummary / numpydoc --------------------------------------------------------
autosummary_generate = True
autosummary_generate_overwrite = True
autosummary_ignore_module_all = False  # a module documents exactly its __all__
autosummary_imported_members = True  # public names re-exported from private submodules
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # types are in the numpydoc "Parameters"/"Returns" sections
autodoc_member_order = "groupwise"
autoclass_content = "class"

numpydoc_show_class_members = False  # the class template lists the methods itself
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True
numpydoc_validation_checks = set()  # style is reviewed by the doctest/lint tests, not here

# -- MyST ------------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# -- HTML ------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"fairlearn_online {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False
# Pages without sub-pages need no left "Section Navigation" column.
html_sidebars = {page: [] for page in
                 ("index", "getting_started", "experiments", "results", "dask")}
# MathJax is served from the site itself (sphinx-mathjax-offline copies it into _static/mathjax
# and sets mathjax_path), so formulas render offline.

# -- sphinx-copybutton ---------------------------------------------------------------------
# The copy button copies the code without prompts: ">>> " and "... " of the pycon examples,
# "$ " of shell lines; output lines (without a prompt) are left out.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_remove_prompts = True


def _skip_third_party_members(app, what, name, obj, skip, options):
    """Document only members defined in fairlearn_online.

    Our estimators inherit ``get_params``, ``set_params``, ``set_*_request``, ``score``... from
    scikit-learn. Those are documented by scikit-learn; their docstrings reference labels of
    scikit-learn's own user guide, which do not exist here.
    """
    if skip or what != "class":
        return None
    module = getattr(obj, "__module__", None) or getattr(getattr(obj, "fget", None),
                                                         "__module__", None)
    if module is None:
        return None
    return None if module.startswith("fairlearn_online") else True


# Words ending in "_" (fitted attributes such as ``n_features_in_``) are reST references. In the
# free-text type of a numpydoc parameter or attribute ("ndarray of shape (n_features_in_ + 1,)",
# scikit-learn's own phrasing) they are meant literally, so their final "_" is escaped before
# numpydoc renders the docstring.
_PARAM_LINE = re.compile(r"^(\s*\*{0,2}[A-Za-z_][\w, *]*? : )(.+)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<=[A-Za-z0-9])_(?=[\s,.;:)\]}]|$)")


def _escape_attribute_names_in_types(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _PARAM_LINE.match(line)
        if match and "`" not in match.group(2):
            lines[i] = match.group(1) + _TRAILING_UNDERSCORE.sub(r"\\_", match.group(2))


# The method pages of the user guide land one at a time (one author per method). The toctree
# of user_guide/index.md lists them all in reading order and ends with a "*" glob for any
# other page; entries whose page does not exist (yet) are dropped here before the page is
# parsed, so that a missing page is not an error while a broken entry of any other toctree is.
def _user_guide_toctree(app, docname, source):
    if docname != "user_guide/index":
        return
    found = app.env.found_docs
    text = source[0]
    start = text.index("```{toctree}")
    end = text.index("```", start + 3)
    lines = text[start:end].split("\n")
    listed = {f"user_guide/{entry.strip()}" for entry in lines[1:]
              if entry.strip() and not entry.startswith(":") and "*" not in entry}
    others = {d for d in found if d.startswith("user_guide/") and d != docname} - listed
    kept = []
    for entry in lines:
        bare = entry.strip()
        if bare and not bare.startswith(":") and not bare.startswith("```"):
            if "*" in bare and not others:
                continue
            if "*" not in bare and f"user_guide/{bare}" not in found:
                continue
        kept.append(entry)
    source[0] = text[:start] + "\n".join(kept) + text[end:]


# Experiments may write Markdown tables next to their CSV files (docs/results/<name>/*.md) and
# the method pages link to them. They become pages of their own, outside every toctree
# (orphan), titled after their folder and file when they have no title.
def _results_tables_as_pages(app, docname, source):
    if not docname.startswith("results/"):
        return
    text = source[0]
    title = "" if text.lstrip().startswith("# ") else (
        f"# {docname.split('/')[1]}: `{docname.split('/')[-1]}.md`\n\n")
    source[0] = "---\norphan: true\n---\n\n" + title + text


# Estimators are re-exported at the top level (``from fairlearn_online import X``) but documented
# once, in their subpackage. A reference to ``fairlearn_online.X`` (or to one of its members)
# resolves to ``fairlearn_online.<subpackage>.X``; a name that is not re-exported stays broken.
def _resolve_top_level_reexports(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    parts = node.get("reftarget", "").split(".")
    if len(parts) < 2 or parts[0] != "fairlearn_online" or parts[1] not in getattr(
            fairlearn_online, "__all__", ()):
        return None
    module = getattr(getattr(fairlearn_online, parts[1]), "__module__", "") or ""
    public = []
    for part in module.split("."):
        if part.startswith("_"):
            break
        public.append(part)
    if len(public) < 2:
        return None
    target = ".".join(public + parts[1:])
    return env.domains["py"].resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                          target, node, contnode)


def setup(app):
    app.connect("missing-reference", _resolve_top_level_reexports)
    app.connect("source-read", _results_tables_as_pages)
    app.connect("autodoc-skip-member", _skip_third_party_members)
    app.connect("autodoc-process-docstring", _escape_attribute_names_in_types, priority=400)
    app.connect("source-read", _user_guide_toctree)
    return {"parallel_read_safe": True}

