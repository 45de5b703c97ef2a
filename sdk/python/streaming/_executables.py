"""The Producer and Consumer executables the pool runs: ``$STREAMING_PRODUCER`` / ``$STREAMING_CONSUMER`` (paths; a
``.dll`` runs with ``dotnet``), else ``Producer`` / ``Consumer`` on ``PATH``."""
import os
import shutil

__all__ = ["command_of", "ExecutableNotFound"]

_HOW = ("build them with `dotnet publish src/{name} -c Release -o DIR` (or use bin/Release/net10.0/{name}.dll "
        "after `dotnet build`) and set {variable} to the executable or the .dll, or put {name} on PATH "
        "(docs/python.md)")


class ExecutableNotFound(FileNotFoundError):
    pass


def command_of(name: str) -> list:
    """The argv prefix that runs the executable ``name`` (``Producer`` or ``Consumer``)."""
    variable = f"STREAMING_{name.upper()}"
    configured = os.environ.get(variable)
    if configured:
        if not os.path.isfile(configured):
            raise ExecutableNotFound(f"{variable}={configured} is not a file: " + _HOW.format(name=name, variable=variable))
        if configured.endswith(".dll"):
            dotnet = shutil.which("dotnet")
            if dotnet is None:
                raise ExecutableNotFound(f"{variable} names a .dll, and dotnet is not on PATH")
            return [dotnet, os.path.abspath(configured)]
        if not os.access(configured, os.X_OK):
            raise ExecutableNotFound(f"{variable}={configured} is not executable")
        return [os.path.abspath(configured)]
    found = shutil.which(name)
    if found is None:
        raise ExecutableNotFound(f"no {name} executable: " + _HOW.format(name=name, variable=variable))
    return [found]
