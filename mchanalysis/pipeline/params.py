"""Run parameters of ``mch run``: the YAML file, command-line overrides, and the checks made
before any notebook starts.

A batch must never produce a silent wrong-region report (docs/ecosystem-notes.md): region codes stay
strings end to end (a YAML integer such as ``990000`` or ``010101`` is refused, never converted),
every region selector must name regions of the data (an unknown code lists the closest codes and
names, by :mod:`difflib`), the year must be in the data, the target set must load, the language
must be known, and every notebook must declare exactly the parameters the runner injects
(checked with ``papermill.inspect_notebook``: a misspelt parameter fails loudly instead of
papermill's warning-and-default).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

import mchanalysis
from mchanalysis import resources
from mchanalysis.errors import MchError
from mchanalysis.schema import LEVELS

#: Languages of the reports.
LANGS = ("zh", "en")
#: The parameters every pipeline notebook declares in its ``parameters`` cell, and nothing else.
NOTEBOOK_PARAMETERS = ("data_path", "year", "region_code", "target_set", "lang", "output_dir")
#: Parameters a notebook may declare besides those; the runner sets them when declared.
OPTIONAL_NOTEBOOK_PARAMETERS = ("missing_sections", "indicators", "narrative", "docx_reference")
#: The type of every parameter the runner may inject (checked before injection, see
#: :func:`check_parameters`): text, a whole number, or a list of text.
PARAMETER_TYPES = {
    "data_path": "text",
    "year": "int",
    "region_code": "code",
    "target_set": "text",
    "lang": "text",
    "output_dir": "text",
    "missing_sections": "text list",
    "indicators": "text list",
    "narrative": "text or bool",
    "docx_reference": "text",
}
#: The notebooks of a run, in execution order.
DEFAULT_NOTEBOOKS = (
    "01_data_quality.ipynb",
    "02_indicator_trends.ipynb",
    "03_mortality_models.ipynb",
    "04_annual_report.ipynb",
)
#: Keys a params YAML file may hold.
FILE_KEYS = (
    "data",
    "year",
    "regions",
    "targets",
    "lang",
    "out",
    "jobs",
    "executor",
    "scheduler",
    "notebooks",
    "timeout",
    "narrative",
    "docx_reference",
)
EXECUTORS = ("local", "dask")


def repo_root() -> Path:
    """The folder holding the package folder: the repository for a clone or an editable install,
    ``site-packages`` for a wheel (nothing is read from it then; see :mod:`mchanalysis.resources`)."""
    return Path(mchanalysis.__file__).resolve().parents[1]


def notebooks_dir() -> Path:
    """The packaged notebooks (:func:`mchanalysis.resources.notebooks_dir`)."""
    return resources.notebooks_dir()


def default_notebooks(folder: str | os.PathLike | None = None) -> tuple[Path, ...]:
    """The notebooks of a run: each of :data:`DEFAULT_NOTEBOOKS` from ``<folder>/notebooks/``
    (default: the current directory, a project folder of ``mch init``) when it is there, else the
    packaged one."""
    return tuple(resources.project_notebook(n, folder) for n in DEFAULT_NOTEBOOKS)


@dataclass(frozen=True)
class RunConfig:
    """What the user asked for, before it is checked against the data.

    ``regions`` holds selectors: ``all``, a 6-digit code, ``tree:CODE`` (the region and every
    region below it) or ``level:LEVEL`` (every region of a level).
    """

    data: Path
    out: Path = Path("reports")
    year: int | None = None
    regions: tuple[str, ...] = ("all",)
    targets: str = "auto"
    lang: str = "zh"
    jobs: int | None = None
    executor: str = "local"
    scheduler: str | None = None
    resume: bool = False
    notebooks: tuple[Path, ...] = field(default_factory=default_notebooks)
    timeout: float | None = 600.0
    progress: bool = True
    narrative: Path | None = None
    docx_reference: Path | None = None


def notebook_path(value, *, base: Path | None = None) -> Path:
    """A notebook of ``--notebooks`` or ``notebooks:``: a path, or the name of one of the run's own
    notebooks (``04_annual_report`` or ``04_annual_report.ipynb``).

    A path that exists is taken as given (relative: against the current directory, else *base*,
    the repository or the package, as :func:`_resolve_path`). A bare name of one of
    :data:`DEFAULT_NOTEBOOKS` that is no such file is that notebook of the project folder (the
    current directory) when it is there, else the packaged one -- the same file a run without
    ``--notebooks`` takes. Anything else is returned unresolved, and :func:`check_notebook` says
    it was not found.
    """
    p = Path(str(value)).expanduser()
    found = _resolve_path(p, base=base)
    if found.is_file() or len(p.parts) != 1:
        return found
    name = p.name if p.suffix == ".ipynb" else p.name + ".ipynb"
    if name in DEFAULT_NOTEBOOKS:
        return resources.project_notebook(name)
    return found


def _resolve_path(value, *, base: Path | None = None) -> Path:
    """A relative path: against the current directory if it exists there, else *base*, the
    repository (a clone) or the package's own files (``params/...``, ``data/reference/...``)."""
    p = Path(value).expanduser()
    if p.is_absolute():
        return p
    here = Path.cwd() / p
    if here.exists():
        return here
    for root in (base, repo_root(), resources.package_root()):
        if root is not None and (root / p).exists():
            return root / p
    return here


def _region_selector(value, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str):
        raise MchError(
            f"{where}: region codes must be text, e.g. '990000' in quotes (got {value!r} of type "
            f"{type(value).__name__}; YAML turns unquoted codes into numbers and drops leading zeros)"
        )
    return value.strip()


def load_params_file(path: str | os.PathLike) -> dict:
    """Read a run parameters YAML file into a dict of :class:`RunConfig` fields (unchecked).

    A relative *path* absent from the current directory is looked for among the package's own
    files (``params/default.yaml``, ``params/examples/*.yaml``).

    Raises
    ------
    MchError
        Missing file, invalid YAML, an unknown key (closest key suggested), a region code that is
        not a string.
    """
    path = Path(path)
    if not path.is_absolute() and not path.exists() and (resources.package_root() / path).is_file():
        path = resources.package_root() / path  # e.g. params/default.yaml from any folder
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MchError("parameters file not found", file=path) from None
    except UnicodeDecodeError as exc:
        raise MchError(f"not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8", file=path) from None
    except OSError as exc:
        raise MchError(f"cannot read the parameters file: {exc.strerror or exc}", file=path) from None
    except yaml.YAMLError as exc:
        raise MchError(f"not valid YAML: {exc}", file=path) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise MchError("a parameters file must be a mapping of keys to values", file=path)
    values: dict = {}
    for key, value in doc.items():
        if key not in FILE_KEYS:
            hint = difflib.get_close_matches(str(key), FILE_KEYS, n=1)
            raise MchError(
                f"unknown key {key!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else f" (known: {', '.join(FILE_KEYS)})"),
                file=path,
            )
        if value is None:
            continue
        if isinstance(value, dict) or (isinstance(value, list) and key not in ("regions", "notebooks")):
            raise MchError(f"{key} must be a single value, got a {type(value).__name__}", file=path)
        if key == "regions":
            items = value if isinstance(value, list) else [value]
            values["regions"] = tuple(_region_selector(v, f"{path}: regions") for v in items)
        elif key == "data":
            values[key] = _resolve_path(value, base=path.parent)
        elif key == "out":
            values[key] = Path(str(value))  # outputs: relative to the current directory
        elif key == "notebooks":
            items = value if isinstance(value, list) else [value]
            values["notebooks"] = tuple(notebook_path(v, base=path.parent) for v in items)
        elif key in ("year", "jobs"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise MchError(f"{key} must be a whole number, got {value!r}", file=path)
            values[key] = value
        elif key == "timeout":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise MchError(f"timeout must be a positive number of seconds, got {value!r}", file=path)
            values[key] = float(value)
        else:
            values[key] = str(value)
    return values


def make_config(file_values: dict | None = None, **overrides) -> RunConfig:
    """A :class:`RunConfig` from a params file's values and command-line overrides (not None)."""
    values = dict(file_values or {})
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "data" not in values:
        raise MchError("no data file given (--data FILE or 'data:' in the parameters file)")
    values["data"] = _resolve_path(values["data"])
    if "out" in values:
        values["out"] = Path(values["out"])
    if "regions" in values:
        values["regions"] = tuple(_region_selector(v, "--regions") for v in values["regions"])
    if "notebooks" in values:
        values["notebooks"] = tuple(notebook_path(n) for n in values["notebooks"])
    if values.get("narrative"):
        values["narrative"] = _resolve_path(values["narrative"])
        if not values["narrative"].exists():
            raise MchError(
                "narrative: no such file or folder (a folder of <region_code>.md files or one .md file)",
                file=str(values["narrative"]),
            )
    else:
        values.pop("narrative", None)
    if values.get("docx_reference"):
        values["docx_reference"] = _resolve_path(values["docx_reference"])
        if not values["docx_reference"].is_file() or values["docx_reference"].suffix.lower() != ".docx":
            raise MchError(
                "docx_reference: not a .docx file (a Word document whose styles, page "
                "set-up and letterhead every report takes)",
                file=str(values["docx_reference"]),
            )
    else:
        values.pop("docx_reference", None)
    return RunConfig(**values)


@dataclass(frozen=True)
class Plan:
    """A checked run: what every notebook will receive.

    Attributes
    ----------
    regions : pandas.DataFrame
        Selected regions, ``region_code, region_name, parent_code, level, depth``, in tree order.
    target_set : str
        What the notebooks receive as ``target_set`` (a name, or an absolute file path).
    inputs : list of dict
        ``{"role", "path", "sha256"}`` of the data file and the target-set file.
    notebooks : list of dict
        ``{"name", "path", "sha256"}`` per notebook, in execution order.
    """

    config: RunConfig
    data_path: Path
    year: int
    regions: object
    target_set: str
    inputs: list
    notebooks: list

    def notebook_parameters(self, region_code: str) -> dict:
        """The parameters injected into every notebook of one region (all strings but year)."""
        return {
            "data_path": str(self.data_path),
            "year": int(self.year),
            "region_code": str(region_code),
            "target_set": self.target_set,
            "lang": self.config.lang,
            "output_dir": ".",
        }

    def optional_parameters(self) -> dict:
        """Parameters given only to the notebooks that declare them (besides ``missing_sections``,
        which the runner sets per region): ``narrative``, the bureau's text, and ``docx_reference``,
        its Word reference document, when the run has them."""
        out = {}
        if self.config.narrative is not None:
            out["narrative"] = str(Path(self.config.narrative).resolve())
        if self.config.docx_reference is not None:
            out["docx_reference"] = str(Path(self.config.docx_reference).resolve())
        return out


def _bad_text(value) -> str | None:
    if not isinstance(value, str):
        return f"must be text, got {type(value).__name__}"
    import unicodedata

    for i, ch in enumerate(value):
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in "\u2028\u2029":
            return f"holds the control or unassigned character U+{ord(ch):04X} at position {i + 1}"
    return None


def check_parameters(parameters: dict) -> dict:
    """Check every notebook parameter's name, type and text before it is injected; return it.

    Parameters are data, never code: papermill writes them into a cell as Python literals, and
    :func:`mchanalysis.pipeline.notebook.parameterize` proves the cell holds exactly these
    literals. This check refuses what has no business in a parameter in the first place: an
    unknown name, a wrong type (``year`` that is not a whole number, a list where text belongs),
    a region code that is not 1-32 ASCII letters or digits, and any control, format or
    unassigned character in text (newlines, ANSI escapes, bidi overrides).

    Raises
    ------
    MchError
        Naming the parameter and what is wrong with it.
    """
    import re

    for key, value in parameters.items():
        kind = PARAMETER_TYPES.get(key)
        if kind is None:
            raise MchError(
                f"notebook parameter {key!r} is not one the runner knows ({', '.join(PARAMETER_TYPES)})"
            )
        problem = None
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                problem = f"must be a whole number, got {type(value).__name__}"
        elif kind == "code":
            problem = _bad_text(value)
            if problem is None and not re.fullmatch(r"[0-9A-Za-z]{1,32}", value, flags=re.ASCII):
                problem = "must be 1-32 ASCII letters or digits"
        elif kind == "text list":
            if not isinstance(value, (list, tuple)):
                problem = f"must be a list of text, got {type(value).__name__}"
            else:
                problem = next(
                    (f"item {i + 1} " + p for i, v in enumerate(value) if (p := _bad_text(v))), None
                )
        elif kind == "text or bool":
            if not isinstance(value, bool):
                problem = _bad_text(value)
        else:
            problem = _bad_text(value)
        if problem:
            raise MchError(f"notebook parameter {key} = {value!r:.80} {problem}")
    return parameters


def check_notebook(path: str | os.PathLike) -> None:
    """Check that *path* has one ``parameters`` cell declaring exactly :data:`NOTEBOOK_PARAMETERS`.

    Raises
    ------
    MchError
        Missing notebook, no or several ``parameters`` cells, a parameter missing or unknown.
    """
    from mchanalysis.notebook_format import nbformat_module

    nbformat = nbformat_module()  # before papermill, which imports nbformat
    import papermill

    path = Path(path)
    if not path.is_file():
        names = ", ".join(Path(n).stem for n in DEFAULT_NOTEBOOKS)
        raise MchError(f"notebook not found (a path to a .ipynb file, or one of {names})", file=path)
    nb = nbformat.read(str(path), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise MchError(
            f"a pipeline notebook needs exactly one cell tagged 'parameters', found {len(tagged)}", file=path
        )
    declared = set(papermill.inspect_notebook(str(path)))
    missing = [p for p in NOTEBOOK_PARAMETERS if p not in declared]
    extra = sorted(declared - set(NOTEBOOK_PARAMETERS) - set(OPTIONAL_NOTEBOOK_PARAMETERS))
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            hints = [
                f"{e} (did you mean {difflib.get_close_matches(e, NOTEBOOK_PARAMETERS, n=1)[0]}?)"
                if difflib.get_close_matches(e, NOTEBOOK_PARAMETERS, n=1)
                else e
                for e in extra
            ]
            parts.append("unknown " + ", ".join(hints))
        raise MchError(
            "parameters cell does not match the runner's parameters "
            f"({', '.join(NOTEBOOK_PARAMETERS)}): " + "; ".join(parts),
            file=path,
        )


def _closest_regions(word: str, tree) -> str:
    codes = list(tree["region_code"])
    names = dict(zip(tree["region_code"], tree["region_name"]))
    by_name = {n: c for c, n in names.items()}
    hits = difflib.get_close_matches(word, codes, n=5, cutoff=0.5)
    hits += [by_name[n] for n in difflib.get_close_matches(word, list(by_name), n=3, cutoff=0.3)]
    seen = []
    for c in hits:
        if c not in seen:
            seen.append(c)
    if not seen:
        return ""
    return "; closest: " + ", ".join(f"{c} {names[c]}" for c in seen)


def select_regions(tree, selectors) -> object:
    """Rows of *tree* (:func:`mchanalysis.regions.region_tree`) named by *selectors*, tree order.

    Raises
    ------
    MchError
        An unknown code (with the closest codes and names), an unknown level, an empty selection.
    """
    from mchanalysis.regions import descendants

    codes = set(tree["region_code"])
    chosen: set[str] = set()
    for sel in selectors:
        sel = str(sel).strip()
        if sel == "all":
            chosen |= codes
        elif sel.startswith("level:"):
            level = sel.split(":", 1)[1]
            if level not in LEVELS:
                raise MchError(f"unknown level {level!r} in --regions {sel}; levels: {', '.join(LEVELS)}")
            chosen |= set(tree.loc[tree["level"] == level, "region_code"])
        else:
            code = sel.split(":", 1)[1] if sel.startswith("tree:") else sel
            if code not in codes:
                raise MchError(f"unknown region code {code!r}" + _closest_regions(code, tree))
            chosen.add(code)
            if sel.startswith("tree:"):
                chosen |= set(descendants(tree, code))
    if not chosen:
        raise MchError(f"--regions {' '.join(selectors)} selects no region")
    return tree[tree["region_code"].isin(chosen)].reset_index(drop=True)


def plan_run(config: RunConfig, *, counts=None) -> Plan:
    """Check *config* against the data, target set and notebooks; return the :class:`Plan`.

    Nothing is executed. *counts* (a validated wide table) skips reading the data file again.

    Raises
    ------
    MchError
        Any bad parameter, with a one-line reason (see the module docstring).
    """
    from mchanalysis.pipeline.manifest import sha256_file
    from mchanalysis.regions import region_tree
    from mchanalysis.targets import load_target_set, resolve_target_set

    if config.lang not in LANGS:
        raise MchError(f"unknown language {config.lang!r}; use one of {', '.join(LANGS)}")
    if config.executor not in EXECUTORS:
        raise MchError(f"unknown executor {config.executor!r}; use one of {', '.join(EXECUTORS)}")
    if config.executor == "dask" and not config.scheduler:
        raise MchError("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if config.jobs is not None and config.jobs < 1:
        raise MchError(f"--jobs must be at least 1, got {config.jobs}")
    for nb in config.notebooks:
        check_notebook(nb)
    data_path = Path(config.data).resolve()
    if not data_path.is_file():
        raise MchError("data file not found", file=config.data)
    if counts is None:  # validated once: the runner's shared tables reuse it (analysis.data)
        from mchanalysis.analysis.data import validate_for_batch

        counts = validate_for_batch(data_path).counts
    years = sorted(int(y) for y in counts["year"].unique())
    year = years[-1] if config.year is None else int(config.year)
    if year not in years:
        raise MchError(f"year {year} is not in the data (years {years[0]}-{years[-1]})", file=config.data)
    tree = region_tree(counts)
    regions = select_regions(tree, config.regions)
    # Target-set names resolve in this folder's params/targets/ first (a project folder of
    # `mch init`), then in the package; the notebooks run in their staging folders, so the
    # project folder is handed to their kernels through the environment (same lookup there).
    os.environ[resources.PROJECT_ENV] = str(Path.cwd().resolve())
    # "auto": the set the report year calls for (and the one shown beside it), both hashed
    chosen, companion, _how = resolve_target_set(config.targets, year)
    target_param = config.targets
    if Path(config.targets).suffix.lower() in (".yaml", ".yml"):
        target_param = str(Path(load_target_set(config.targets).path or config.targets).resolve())
    inputs = [{"role": "data", "path": str(data_path), "sha256": sha256_file(data_path)}]
    for role, name in (("targets", chosen), ("targets_beside", companion)):
        tset = load_target_set(name) if name is not None else None
        if tset is not None and tset.path is not None:
            tpath = Path(tset.path).resolve()
            inputs.append({"role": role, "path": str(tpath), "sha256": sha256_file(tpath)})
    if config.narrative is not None:
        narrative = Path(config.narrative).resolve()
        files = sorted(narrative.glob("*.md")) if narrative.is_dir() else [narrative]
        for f in files:
            inputs.append({"role": f"narrative:{f.name}", "path": str(f), "sha256": sha256_file(f)})
    if config.docx_reference is not None:
        ref = Path(config.docx_reference).resolve()
        inputs.append({"role": "docx_reference", "path": str(ref), "sha256": sha256_file(ref)})
    notebooks = [
        {"name": Path(n).name, "path": str(Path(n).resolve()), "sha256": sha256_file(n)}
        for n in config.notebooks
    ]
    return Plan(
        config=config,
        data_path=data_path,
        year=year,
        regions=regions,
        target_set=target_param,
        inputs=inputs,
        notebooks=notebooks,
    )
