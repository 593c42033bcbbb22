"""Open every page of reports/html/ in headless Chromium and check it shows what its notebook holds (run by hand after
`dvc repro`; needs a `chromium` binary, e.g. `apt-get install chromium`).

    python benchmarks/check_site.py [--html reports/html] [--notebooks reports/notebooks] [--out reports/html_check]

For each page: a full-page screenshot (PNG, kept in --out), the share of non-white pixels in it, and the number of
figures embedded in the page against the number of image outputs of the executed notebook. A reader page
(`NN_stage.html`, not `.code.html`) must show no code input, and no page may show raw LaTeX (`$...\\cmd...$`) in its
text. Exits 1 when a page is blank, a figure is missing, a link of the index points nowhere, or either check fails.
"""

import argparse, json, re, shutil, subprocess, sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def screenshot(chromium: str, page: Path, png: Path, height: int = 4000) -> None:
    subprocess.run(
        [
            chromium,
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--hide-scrollbars',
            f'--window-size=1280,{height}',
            '--virtual-time-budget=4000',
            f'--screenshot={png}',
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--html', default=str(ROOT / 'reports' / 'html'))
    ap.add_argument('--notebooks', default=str(ROOT / 'reports' / 'notebooks'))
    ap.add_argument('--out', default=str(ROOT / 'reports' / 'html_check'))
    a = ap.parse_args()
    chromium = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if not chromium:
        sys.exit('no chromium binary on PATH')
    from PIL import Image

    html, out = Path(a.html), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    index = (html / 'index.html').read_text()
    links = re.findall(r'href="([^"]+\.html)"', index)
    rows, bad = [], []
    for page in ['index.html'] + links:
        p = html / page
        if not p.exists():
            bad.append(f'{page}: linked from the index but missing')
            continue
        png = out / (p.stem + '.png')
        screenshot(chromium, p, png)
        img = np.asarray(Image.open(png).convert('L'))
        ink = float((img < 245).mean())
        text = p.read_text()
        embedded = len(re.findall(r'<img[^>]+src="data:image/(?:png|jpeg|svg)', text))
        visible = re.sub(r'<(script|style)[^>]*>.*?</\1>', '', text, flags=re.S)
        if re.search(r'\$[^$<>\n]*\\[A-Za-z]+[^$<>\n]*\$', visible):
            bad.append(f'{page}: raw LaTeX in the page')
        if not page.endswith('.code.html') and page != 'index.html' and 'jp-InputArea-editor' in visible:
            bad.append(f'{page}: a reader page shows code')
        nb = Path(a.notebooks) / (p.name.split('.')[0] + '.ipynb')
        expected = None
        if nb.exists():
            cells = json.loads(nb.read_text())['cells']
            expected = sum(
                1 for c in cells for o in c.get('outputs', []) if any(k.startswith('image/') for k in o.get('data', {}))
            )
        rows.append(
            dict(
                page=page,
                screenshot=str(png),
                ink_share=round(ink, 4),
                figures_embedded=embedded,
                figures_in_notebook=expected,
            )
        )
        if ink < 0.01:
            bad.append(f'{page}: blank screenshot ({ink:.4f} non-white)')
        if expected is not None and embedded < expected:
            bad.append(f'{page}: {embedded} figures embedded, notebook has {expected}')
    for r in rows:
        print(f"{r['page']:24s} ink {r['ink_share']:.3f}  figures {r['figures_embedded']}/{r['figures_in_notebook']}")
    (out / 'check.json').write_text(json.dumps(dict(pages=rows, problems=bad), indent=1))
    print('\n'.join(bad) if bad else f'all {len(rows)} pages render with their figures')
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
