"""Where the fleet finds ``func``, and the pipeline it gets: the rule of multiprocessing's spawn start method.

A function is reachable when its module can be imported by name and its qualified name leads back to it; a function of
the main script is reached through the script's path, imported under a name other than ``__main__`` (as spawn does),
so the script's ``if __name__ == "__main__":`` block does not run in a worker."""
import hashlib
import importlib
import importlib.util
import os
import re
import sys

__all__ = ["reference_of", "pipeline_of", "load", "MAIN_MODULE"]

# The name the main script is imported under in a worker (spawn's own choice).
MAIN_MODULE = "__mp_main__"
_PIPELINE_MAX = 64
_NOT_IN_PIPELINE_ALPHABET = re.compile(r"[^A-Za-z0-9._-]")


def reference_of(func) -> str:
    """``module:qualname``, or ``/path/to/script.py:qualname`` for a function of the main script.

    Raises ``ValueError`` (with the reason) when a worker could not find ``func`` that way."""
    module_name = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    if not callable(func) or not module_name or not qualname:
        raise ValueError(f"{func!r} is not a function the fleet can import (no module or qualified name)")
    if "<" in qualname:
        raise ValueError(f"{module_name}.{qualname} cannot be imported by a worker: define it at the top level of a "
                         "module (as multiprocessing's spawn start method requires), not as a lambda or inside a function")
    module = sys.modules.get(module_name)
    if module_name in ("__main__", MAIN_MODULE):
        path = getattr(module, "__file__", None)
        if not path:
            raise ValueError(f"{qualname} is defined in an interactive session: a worker can only import it from a file "
                             "(put it in a module, or in a script run with `python3 script.py`)")
        where = os.path.abspath(path)
    else:
        where = module_name
    if _resolve(module, qualname) is not func:
        raise ValueError(f"{module_name}.{qualname} does not lead back to {func!r}: a worker would run something else")
    return f"{where}:{qualname}"


def pipeline_of(reference: str) -> str:
    """The pipeline a reference's consumers serve: ``module.qualname`` (the main script: its file's stem), in the
    pipeline alphabet (letters, digits, ``.``, ``_``, ``-``; at most 64 characters). A name that had to be changed to
    fit gets a hash of the reference, so two functions never share a pipeline by accident."""
    where, _, qualname = reference.rpartition(":")
    module = os.path.splitext(os.path.basename(where))[0] if where.endswith(".py") else where
    name = f"{module}.{qualname}"
    fitted = _NOT_IN_PIPELINE_ALPHABET.sub("_", name)
    if fitted == name and len(name) <= _PIPELINE_MAX:
        return name
    digest = hashlib.sha256(reference.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{fitted[:_PIPELINE_MAX - len(digest) - 1]}-{digest}"


def load(reference: str):
    """The function a reference names, imported in this process (a worker's side of ``reference_of``)."""
    where, separator, qualname = reference.rpartition(":")
    if not separator or not where or not qualname:
        raise ValueError(f"{reference!r} is not MODULE:FUNCTION or SCRIPT.py:FUNCTION")
    if where.endswith(".py"):
        module = _import_script(where)
    else:
        module = importlib.import_module(where)
    func = _resolve(module, qualname)
    if func is None or not callable(func):
        raise ValueError(f"{where} has no function {qualname}")
    return func


def _resolve(module, qualname: str):
    target = module
    for part in qualname.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def _import_script(path: str):
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"no such script: {path}")
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(MAIN_MODULE, path)
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as an import would be; __main__ points at it too, so that code which looks its own
    # functions up through __main__ (pickle, for instance) finds them, as under spawn.
    sys.modules[MAIN_MODULE] = module
    spec.loader.exec_module(module)
    sys.modules["__main__"] = module
    return module
