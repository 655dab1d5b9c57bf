"""Static HTML of an executed notebook whose plotly figures draw offline.

Usage: /usr/bin/python3 scripts/nbconvert/export_html.py IN.ipynb OUT.html
(`npm run reproduce -- --html` calls export_html() after executing each notebook.)

nbconvert's HTML exporter with the project's template (scripts/nbconvert/ldl/,
nbconvert's `lab` page) and the plotly.js bundle from node_modules inlined
once in the page head. Figure outputs (lib/plot display) either load plotly.js
from the Jupyter server ('served') or carry it in the first figure ('embed');
both draw at once when `window.Plotly` is already there, so the page needs no
server and no network. A bundle that a notebook embedded in an output is
dropped from the page: the head already has it.
"""
import os
import re
import sys

import nbformat
from nbconvert import HTMLExporter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUNDLE = os.path.join(ROOT, "node_modules", "plotly.js-dist-min", "plotly.min.js")

# The loader lib/plot figureHtml writes around an embedded bundle (plotly: 'embed').
EMBEDDED = re.compile(
    r'<script type="text/javascript">if \(!window\.Plotly\) \{ \(function \(\) \{ var savedDefine = window\.define;'
    r".*?\} finally \{ window\.define = savedDefine; \} \}\)\.call\(window\); \}</script>\n?",
    re.S,
)


def html_outputs(nb):
    """Every text/html output's data, with a setter, as (text, set) pairs."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                text = data["text/html"]
                text = "".join(text) if isinstance(text, list) else text

                def put(value, data=data):
                    data["text/html"] = value

                yield text, put


def export_html(nb, out_path):
    """Writes nb (a NotebookNode, not changed) as a static page to out_path; returns the number of figures."""
    nb = nbformat.from_dict(nb)  # a copy: the embedded bundles are dropped from the page only
    figures = 0
    for text, put in html_outputs(nb):
        figures += text.count('class="ldl-plot"')
        put(EMBEDDED.sub("", text))
    resources = {"metadata": {"name": os.path.splitext(os.path.basename(out_path))[0]}}
    if figures:
        with open(BUNDLE, encoding="utf-8") as f:
            # Inside a <script>: no `</script` may close it early.
            resources["ldl_plotly_js"] = re.sub(r"</script", r"<\\/script", f.read(), flags=re.I)
    exporter = HTMLExporter(template_name="ldl", extra_template_basedirs=[HERE])
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(body)
    return figures


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    nb = nbformat.read(sys.argv[1], as_version=4)
    figures = export_html(nb, sys.argv[2])
    print(f"{sys.argv[2]}: {figures} figure(s), plotly.js inlined {'once' if figures else 'not (no figures)'}")


if __name__ == "__main__":
    main()
