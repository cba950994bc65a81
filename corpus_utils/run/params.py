"""Read a notebook's ``parameters`` cell and reject unknown, mistyped or out-of-range parameter values.

papermill only warns about parameters a notebook does not declare; these helpers make the
notebooks (and the runner) fail loudly instead. Ranges and choices come from one table,
:data:`corpus_utils.run.rules.RULES`.

The cell is read with :mod:`ast` rather than :func:`papermill.inspect_notebook`: this check runs in
every notebook's kernel, where importing papermill would add one to three seconds per notebook,
and it also refuses a parameters cell papermill could not override (anything but ``NAME = literal``).
"""

from __future__ import annotations

import ast
import datetime as _dt
import io
import json
import os
import tokenize
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..core.paths import NOTEBOOKS_DIR, repository_path
from .rules import check_cross_rules, check_rule

__all__ = [
    "Parameter",
    "ParameterError",
    "notebook_parameters",
    "check_parameters",
    "PATH_PARAMETERS",
    "check_value_type",
    "parse_value",
    "read_params_file",
]


class ParameterError(ValueError):
    """A notebook parameter is unknown or has a value of the wrong type."""


@dataclass(frozen=True)
class Parameter:
    """One assignment in a notebook's ``parameters`` cell: name, default literal and its comment."""

    name: str
    default: Any
    comment: str

    @property
    def type_name(self) -> str:
        """Name of the default's type (``"NoneType"`` when the default is ``None``)."""
        return type(self.default).__name__


def _parameters_source(notebook: Path) -> str:
    with open(notebook, encoding="utf-8") as handle:
        cells = json.load(handle).get("cells", [])
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell.get("source", "")
            return "".join(source) if isinstance(source, list) else source
    raise ParameterError(f"{notebook.name}: no cell is tagged 'parameters'; tag one so papermill can inject values.")


def _comments_by_line(source: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    return comments


#: Set by the runner for its kernels: the folder of the notebooks it executes (``--notebooks``).
NOTEBOOKS_ENV_VAR = "CORPUS_UTILS_NOTEBOOKS"


def _find_notebook(name: str) -> Path:
    """``<name>.ipynb`` in the runner's notebook folder, the repository's ``notebooks/`` or the working folder
    (where JupyterLab starts a notebook's kernel), the first that holds it."""
    folders = [os.environ.get(NOTEBOOKS_ENV_VAR, ""), str(NOTEBOOKS_DIR), os.getcwd()]
    candidates = [Path(folder) / f"{name}.ipynb" for folder in folders if folder]
    return next((candidate for candidate in candidates if candidate.is_file()), candidates[0])


def notebook_parameters(notebook: str | Path) -> list[Parameter]:
    """Parse the cell tagged ``parameters`` of a notebook into :class:`Parameter` records.

    Parameters
    ----------
    notebook : str or Path
        A notebook path, or a bare name such as ``"02_term_frequency"`` looked up in ``notebooks/``.

    Returns
    -------
    list of Parameter
        In the order of the cell. Only plain ``NAME = literal`` assignments are allowed there;
        anything else raises :class:`ParameterError`, because papermill could not override it.
    """
    path = Path(notebook)
    if path.suffix != ".ipynb":
        path = _find_notebook(path.name)
    source = _parameters_source(path)
    comments = _comments_by_line(source)
    parameters = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ParameterError(
                f"{path.name}: the parameters cell may only hold 'NAME = literal' lines (line {node.lineno})."
            )
        try:
            default = ast.literal_eval(node.value)
        except ValueError as exc:
            raise ParameterError(
                f"{path.name}: parameter {node.targets[0].id} must be a plain literal (line {node.lineno})."
            ) from exc
        comment = comments.get(node.end_lineno or node.lineno, comments.get(node.lineno - 1, ""))
        parameters.append(Parameter(node.targets[0].id, default, comment))
    return parameters


def _type_matches(value: Any, default: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def check_value_type(parameter: Parameter, value: Any) -> None:
    """Raise :class:`ParameterError` unless ``value`` has the type of the parameter's default and follows
    its rule in :data:`~corpus_utils.run.rules.RULES` (range, choices).

    An ``int`` is accepted where the default is a ``float``; a list where it is a tuple; any value
    where the default is ``None``.
    """
    if not _type_matches(value, parameter.default):
        raise ParameterError(
            f"parameter {parameter.name} expects {parameter.type_name} (default {parameter.default!r}), "
            f"got {type(value).__name__} {value!r}."
        )
    try:
        check_rule(parameter.name, value)
    except ValueError as exc:
        raise ParameterError(str(exc)) from None


#: Notebook parameters that name a file or folder; a notebook reads them relative to the repository root.
PATH_PARAMETERS = ("CORPUS", "FIGURES_DIR", "REGISTRY", "EVENTS")


def check_parameters(namespace: MutableMapping[str, Any], notebook: str | Path) -> dict[str, Any]:
    """Validate a notebook's UPPER_CASE globals against its declared parameters.

    Call it in the cell right after the ``parameters`` cell (and papermill's injected cell)::

        PARAMS = check_parameters(globals(), "02_term_frequency")

    Raises :class:`ParameterError` naming every unknown parameter (with the valid names), the first
    value of the wrong type or out of its range, or a conflict between values. Path parameters
    (:data:`PATH_PARAMETERS`) are rewritten in ``namespace`` as absolute paths read from the repository root,
    so the notebook's later calls to the API (which reads relative paths from the current folder) get the
    folder the notebook meant. Returns the declared parameters with their current values.
    """
    declared = {parameter.name: parameter for parameter in notebook_parameters(notebook)}
    defined = {name for name in namespace if name.isupper() and not name.startswith("_")}
    unknown = sorted(defined - set(declared) - {"PARAMS"})
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(unknown)} for notebook {Path(notebook).stem}; "
            f"valid names: {', '.join(sorted(declared))}."
        )
    for name, parameter in declared.items():
        check_value_type(parameter, namespace.get(name))
    for name in PATH_PARAMETERS:
        value = namespace.get(name)
        if name in declared and isinstance(value, str) and value.strip() and value.strip().lower() != "none":
            namespace[name] = str(repository_path(value))  # type: ignore[index]  (a notebook's globals())
    values = {name: namespace.get(name) for name in declared}
    try:
        check_cross_rules(values)
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    return values


def parse_value(text: str) -> Any:
    """Type a command-line value as papermill's ``-p`` does, and read JSON lists and objects.

    ``"True"``/``"False"`` become booleans, ``"None"`` becomes ``None``, then ``int``, then
    ``float``; text starting with ``[`` or ``{`` is parsed as JSON (``'["hospital", "court"]'``);
    anything else stays a string.

    Raises
    ------
    ParameterError
        Text that starts like a JSON list or object but is not valid JSON.
    """
    if text == "True":
        return True
    if text == "False":
        return False
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text.lstrip().startswith(("[", "{")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParameterError(
                f"value {text!r} starts like a JSON list or object but is not valid JSON ({exc.msg}); "
                'quote strings inside it, e.g. \'["hospital", "court"]\'.'
            ) from exc
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML file of ``NAME: value`` lines into a parameters mapping.

    Lists, numbers, booleans, ``null`` and dates are allowed; dates (``2019-01-01``) become ISO
    strings, since parameters cells hold plain literals.

    Raises
    ------
    ParameterError
        The file is not valid YAML or does not hold a mapping of names to values.
    FileNotFoundError
        The file does not exist.
    """
    file = Path(path)
    try:
        loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"{file}: not valid YAML ({exc}).") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ParameterError(f"{file}: expected 'NAME: value' lines (a mapping), got a {type(loaded).__name__}.")
    return {str(name): _plain(value) for name, value in loaded.items()}
