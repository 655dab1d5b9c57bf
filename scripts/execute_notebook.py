"""Execute one notebook headless with nbclient (the engine under
`jupyter nbconvert --execute`) and always write the executed copy.

Usage: /usr/bin/python3 scripts/execute_notebook.py IN.ipynb OUT.ipynb CELL_TIMEOUT

The kernel is the one named in the notebook's metadata (tslab), started in the
notebook's own folder, as Jupyter does. Unlike nbconvert, a failing run still
writes OUT (executed up to the failing cell), and the report shows the failing
cell with everything it printed: tslab sends TypeScript compile errors to the
cell's stderr stream and leaves the error reply itself empty.
Exit status: 0 ok, 1 a cell failed, 2 the kernel could not start or timed out.
"""
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def failing_cell(nb):
    """The cell holding an error output, else the last one that ran (tslab's
    compile errors leave no error output, only stderr text)."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for index, cell in code:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index, cell
    ran = [(i, c) for i, c in code if c.get("execution_count") is not None]
    return ran[-1] if ran else (None, None)


def report(nb, limit=60):
    index, cell = failing_cell(nb)
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


def main():
    src, out, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    nb = nbformat.read(src, as_version=4)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "tslab")
    client = NotebookClient(
        nb,
        timeout=None if timeout < 0 else int(timeout),
        startup_timeout=120,
        kernel_name=kernel,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
    )
    status = 0
    try:
        client.execute()
    except CellTimeoutError as e:
        print(f"timeout: a cell ran longer than {timeout:.0f} s\n{e}", file=sys.stderr)
        status = 2
    except DeadKernelError as e:
        print(f"the kernel died: {e}", file=sys.stderr)
        status = 2
    except CellExecutionError:
        status = 1
    except Exception as e:  # kernel start failures and the like
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        status = 2
    finally:
        nbformat.write(nb, out)
    if status:
        text = report(nb)
        if text:
            print(text, file=sys.stderr)
    sys.exit(status)


if __name__ == "__main__":
    main()
