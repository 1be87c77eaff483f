"""The single error boundary: runs the typer app and maps MemtreeError to exit codes.

Command modules, one per area, each about 15 lines (parse, one API call, render), register on
`app.app` when imported here; this order is the order `memtree --help` lists them in.
"""

from __future__ import annotations

import sys

import typer

from ..errors import ExitCode, MemtreeError
from .app import app

# isort: off
from . import entries  # noqa: F401
from . import retrieval  # noqa: F401
from . import history  # noqa: F401
from . import lifecycle  # noqa: F401
from . import agents  # noqa: F401
from . import imports  # noqa: F401
from . import llm  # noqa: F401
from . import health  # noqa: F401
from . import settings  # noqa: F401
from . import resident  # noqa: F401
# isort: on
from .examples import attach

attach(app)


def run(args: list[str]) -> int:
    """Run the CLI; every deliberate failure becomes one stderr line and its exit code."""
    from . import output as render

    render.notes_to_stderr()
    try:
        result = app(args=args, prog_name="memtree", standalone_mode=False)
        sys.stdout.flush()  # a closed pipe shows here, inside the boundary, not at exit
        return int(result) if isinstance(result, int) else 0
    except MemtreeError as exc:
        render.error(exc.message, exc.hint)
        return int(exc.code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        render.error("interrupted")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        render.closed_pipe()
        return 0
    except SystemExit as exc:
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":  # click's answer to EPIPE: exit 1
            render.closed_pipe()
            return 0
        raise exc
    except Exception as exc:
        from ..errors import from_os_error

        mapped = from_os_error(exc)
        if mapped is not None:
            render.error(mapped.message, mapped.hint)
            return int(mapped.code)
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click usage errors
            ctx = getattr(exc, "ctx", None)
            command = ctx.command_path.removeprefix("memtree").strip() if ctx else None
            render.usage_error(exc.format_message(), command or None)
            return int(ExitCode.USAGE)
        render.error(f"internal error: {type(exc).__name__}: {exc}")
        return int(ExitCode.ERROR)

