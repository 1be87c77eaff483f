"""A command in the resident process's child: take the caller's streams, folder, umask and
environment, run `memtree.__main__.main` as the caller would have, send its exit code. Never
returns.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time

from .wire import Request, close

GO_TIMEOUT = 10.0  # seconds the caller has to confirm that it waits for this child


def run(conn: socket.socket, req: Request) -> None:
    """Become the command: the caller's streams, folder, umask and environment; never returns."""
    code = 1
    try:
        conn.settimeout(None)
        if len(req.fds) != 3:
            raise OSError("the caller sent no standard streams")
        for target, fd in enumerate(req.fds):
            os.dup2(fd, target)
        close([fd for fd in req.fds if fd > 2])
        os.chdir(req.cwd)
        os.umask(req.umask)
        os.environb.clear()
        os.environb.update(req.env)
        time.tzset()
        _streams(req.streams)
        sys.argv = ["memtree", *req.args]
        conn.sendall(b"A%d\n" % os.getpid())
        conn.settimeout(GO_TIMEOUT)
        if conn.recv(1) != b"G":  # the caller gave up waiting and runs the command itself
            raise OSError("the caller did not take the answer")
        conn.settimeout(None)
        _interrupt_when_closed(conn)
        from ..__main__ import main

        code = main(req.args, resident=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the caller gets an exit code whatever happens
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - a closed pipe: the answer is already lost
                pass
        try:
            conn.sendall(b"%d" % code)
        finally:
            os._exit(0)


def _interrupt_when_closed(conn: socket.socket) -> None:
    """The caller sends nothing but "I" (Ctrl-C: interrupt the command, as the caller's own
    process would have been) until it ends; if it ends first (killed), end as it did."""
    def watch() -> None:
        try:
            while data := conn.recv(64):
                if b"I" in data:
                    os.kill(os.getpid(), signal.SIGINT)
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)  # the caller is gone (or has its code: no matter)

    threading.Thread(target=watch, daemon=True).start()


def _streams(caller: list[tuple[str, str]]) -> None:
    """Standard streams on the caller's descriptors, with the encodings and error handlers its
    Python chose (its locale, PYTHONIOENCODING, UTF-8 mode), buffered as Python buffers them."""
    fallback = sys.__stdout__.encoding if sys.__stdout__ else "utf-8"
    (ine, inr), (oute, outr), (erre, errr) = ((e or fallback, r or None) for e, r in caller)
    sys.stdin = open(0, encoding=ine, errors=inr, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding=oute, errors=outr, closefd=False,  # noqa: SIM115
                      buffering=1 if os.isatty(1) else -1)
    sys.stderr = open(2, "w", encoding=erre, errors=errr or "backslashreplace",  # noqa: SIM115
                      closefd=False, buffering=1)
