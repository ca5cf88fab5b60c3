"""nbconvert exporter "HTML, offline (maml-sine)": one HTML file that draws its charts offline.

JupyterLab lists it in File > Save and Export Notebook As (scripts/setup.sh registers it in
.venv/ as an `nbconvert.exporters` entry point); `jupyter nbconvert --to maml_sine_offline`
uses it too. It is the lab template with plotly.js and KaTeX inlined from this checkout's
node_modules/ (KaTeX's woff2 fonts as data: URLs), so the file needs no server and no network.
The price is size: about 11 MB per file, mostly plotly.js. (`npm run report` writes smaller
pages that share one copy in reports/assets/.)
"""
import base64
import os
import re

from nbconvert.exporters import HTMLExporter
from traitlets import default

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODE_MODULES = os.path.join(ROOT, 'node_modules')


def _read(*parts):
    with open(os.path.join(NODE_MODULES, *parts), encoding='utf-8') as f:
        return f.read()


def _script_safe(text):
    # inside <script>…</script>, a literal "</script" would end the element early
    return re.sub(r'</(script)', r'<\\/\1', text, flags=re.IGNORECASE)


def _katex_css_with_fonts():
    css = _read('katex', 'dist', 'katex.min.css')
    fonts = os.path.join(NODE_MODULES, 'katex', 'dist', 'fonts')

    def inline(match):
        # keep only the woff2 source of each @font-face, as a data: URL
        with open(os.path.join(fonts, match.group(1) + '.woff2'), 'rb') as f:
            data = base64.b64encode(f.read()).decode('ascii')
        return f'src:url(data:font/woff2;base64,{data}) format("woff2")'

    return re.sub(r'src:url\(fonts/([^)]+)\.woff2\) format\("woff2"\)(,url\([^)]*\) format\("[^"]*"\))*', inline, css)


class OfflineHTMLExporter(HTMLExporter):
    export_from_notebook = 'HTML, offline (maml-sine)'

    @default('template_name')
    def _template_name_default(self):
        return 'maml-sine-offline'

    @default('extra_template_basedirs')
    def _default_extra_template_basedirs(self):
        return [*super()._default_extra_template_basedirs(), os.path.join(ROOT, 'scripts', 'nbconvert')]

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = dict(resources or {})
        resources['maml_sine_inline'] = {
            'plotly': _script_safe(_read('plotly.js-dist', 'plotly.js')),
            'katex_css': _katex_css_with_fonts(),
            'katex_js': _script_safe(_read('katex', 'dist', 'katex.min.js')),
            'katex_auto_render': _script_safe(_read('katex', 'dist', 'contrib', 'auto-render.min.js')),
        }
        return super().from_notebook_node(nb, resources, **kw)
