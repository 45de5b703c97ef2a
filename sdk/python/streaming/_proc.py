"""Whether a process runs, by its pid: on Linux a zombie (dead, not yet reaped) does not."""
import os
import sys

__all__ = ["pid_running"]


def pid_running(pid: int) -> bool:
    """True while ``pid`` runs. On Linux ``/proc`` tells a zombie from a running process; elsewhere a signal 0 tells only
    that the pid exists."""
    if not sys.platform.startswith("linux"):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False
    except OSError:
        return True
