"""Execute one notebook headless with nbclient (the engine under
`jupyter nbconvert --execute`) and always write the executed copy.

Usage: /usr/bin/python3 scripts/execute_notebook.py IN.ipynb OUT.ipynb CELL_TIMEOUT [--events-fd FD] [--html OUT.html]

The kernel is the one named in the notebook's metadata (tslab), started in the
notebook's own folder, as Jupyter does. Unlike nbconvert, a failing run still
writes OUT (executed up to the failing cell), and the report shows the failing
cell with everything it printed: tslab sends TypeScript compile errors to the
cell's stderr stream and leaves the error reply itself empty.
Exit status: 0 ok, 1 a cell failed, 2 the kernel could not start or timed out.

--events-fd FD: while the notebook runs, write one JSON object per line to
the open file descriptor FD (scripts/reproduce.mjs passes a pipe) so that the
caller can show how far the notebook is:
  {"event": "cell", "cell": N, "cells": M}        cell N (1-based, of all M cells) starts
  {"event": "progress", "cell": N, "text": "..."} an updatable text display (lib/core
      Progress inside a kernel) was drawn or redrawn: its text
  {"event": "output", "cell": N, "text": "..."}   the last line a cell printed (stdout/stderr)
  {"event": "end", "status": S, "cell": N|null, "reason": "..."} once, at the end
The kernel's messages are read where nbclient reads them (process_message), so
the executed copy is unchanged; a separate descriptor keeps these lines apart
from whatever the kernel (which inherits stdout and stderr) prints. The FD is
not passed on to the kernel (subprocesses close descriptors above 2).

--html OUT.html: also write the executed copy as a static page whose figures
draw offline (scripts/nbconvert/export_html.py: the project's nbconvert
template, plotly.js inlined once), after a failed run too.
"""
import json
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "nbconvert"))
from export_html import export_html  # noqa: E402 (beside this script, not a package)


def failing_cell(nb):
    """The cell holding an error output, else the last one that ran (tslab's
    compile errors leave no error output, only stderr text)."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for index, cell in code:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index, cell
    ran = [(i, c) for i, c in code if c.get("execution_count") is not None]
    return ran[-1] if ran else (None, None)


def report(nb, index=None, limit=60):
    """The failing cell (`index`, 0-based, when known: the one running when the run stopped) with its error output."""
    if index is None:
        index, cell = failing_cell(nb)
    else:
        cell = nb.cells[index]
    if cell is not None:
        lines = [f"cell {index + 1} of {len(nb.cells)} (execution count {cell.get('execution_count')}):"]
        lines += ["  > " + l for l in cell.source.splitlines()[:12]]
        if len(cell.source.splitlines()) > 12:
            lines.append("  > ...")
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                lines += o.get("text", "").rstrip().splitlines()
            elif o.get("output_type") == "error":
                lines.append(f"{o.get('ename', '')}: {o.get('evalue', '')}".strip(": "))
                lines += [l for t in o.get("traceback", []) for l in t.splitlines()]
        return "\n".join(lines[:limit])
    return None


# A forwarded line is for one status line in a terminal: the tail of a long text is enough.
MAX_TEXT = 500


def last_line(text):
    lines = [l for l in str(text).replace("\r", "\n").splitlines() if l.strip()]
    return lines[-1][:MAX_TEXT] if lines else None


class ForwardingClient(NotebookClient):
    """nbclient that also reports cell starts, progress displays and printed
    lines to `self.events` (a text file, or None)."""

    events = None
    current = None  # 0-based index (among all cells) of the cell now running

    def emit(self, **event):
        if self.events is None:
            return
        try:
            self.events.write(json.dumps(event) + "\n")
            self.events.flush()
        except (BrokenPipeError, OSError):
            self.events = None  # the caller went away; the notebook still runs to the end

    def process_message(self, msg, cell, cell_index):
        kind = msg.get("msg_type")
        content = msg.get("content", {})
        if kind in ("display_data", "update_display_data"):
            # Only displays with an id can be redrawn in place: lib/core Progress
            # draws its line into one (tslab newDisplay().text); a plain
            # display.text or a figure has none.
            text = content.get("data", {}).get("text/plain")
            if content.get("transient", {}).get("display_id") and text:
                line = last_line(text)
                if line:
                    self.emit(event="progress", cell=cell_index + 1, text=line)
        elif kind == "stream":
            line = last_line(content.get("text", ""))
            if line:
                self.emit(event="output", cell=cell_index + 1, text=line)
        return super().process_message(msg, cell, cell_index)


def main():
    args = sys.argv[1:]
    events_fd = None
    if "--events-fd" in args:
        i = args.index("--events-fd")
        events_fd = int(args[i + 1])
        del args[i : i + 2]
    html = None
    if "--html" in args:
        i = args.index("--html")
        html = args[i + 1]
        del args[i : i + 2]
    src, out, timeout = args[0], args[1], float(args[2])
    nb = nbformat.read(src, as_version=4)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "tslab")
    client = ForwardingClient(
        nb,
        timeout=None if timeout < 0 else int(timeout),
        startup_timeout=120,
        kernel_name=kernel,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
    )
    if events_fd is not None:
        client.events = os.fdopen(events_fd, "w", buffering=1, encoding="utf-8")

    def on_cell_execute(cell, cell_index):
        client.current = cell_index
        client.emit(event="cell", cell=cell_index + 1, cells=len(nb.cells))

    client.on_cell_execute = on_cell_execute
    status, reason = 0, None
    try:
        client.execute()
    except CellTimeoutError as e:
        print(f"timeout: a cell ran longer than {timeout:.0f} s\n{e}", file=sys.stderr)
        status, reason = 2, "timeout"
    except DeadKernelError as e:
        print(f"the kernel died: {e}", file=sys.stderr)
        status, reason = 2, "kernel died"
    except CellExecutionError:
        status, reason = 1, "error"
    except Exception as e:  # kernel start failures and the like
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        status, reason = 2, f"{type(e).__name__}"
    finally:
        nbformat.write(nb, out)
        if html is not None:
            try:
                export_html(nb, html)
            except Exception as e:  # the executed copy is written; say why the page is not
                print(f"HTML export to {html} failed: {type(e).__name__}: {e}", file=sys.stderr)
                status = status or 1
                reason = reason or "html export failed"
    cell_failed = status and reason != "html export failed"
    if cell_failed:
        text = report(nb, client.current)
        if text:
            print(text, file=sys.stderr)
    # The cell that was running when the run stopped (None: no cell had started, or only the export failed).
    failed = client.current + 1 if cell_failed and client.current is not None else None
    client.emit(event="end", status=status, cell=failed, reason=reason)
    sys.exit(status)


if __name__ == "__main__":
    main()
