"""Parameter sweep: rerun filter -> subsets (papermill) over a grid of thresholds, without rescoring.

Each grid point runs nbs/31_filter.ipynb and nbs/41_subsets.ipynb in its own folder (sweeps/out/<point>/) whose data/
links to the scored inputs of the study (collect, segments, scores, clips, tracks: read only) — outputs never touch
data/. Then it tabulates, per point, the hours the filter keeps, each filter's F1 against the corpus labels, and Core's
hours, and plots retained hours against per-filter F1.

    python sweeps/filter_sweep.py --set filter.per_backend.brisque.quality.min=4,5,6,7
    python sweeps/filter_sweep.py --set filter.paper.movement.avg=70,80,90 --set filter.paper.motion.min=0.8,0.85

Needs a finished `dvc repro` through `subsets` (the inputs). The `dvc exp run -S` equivalent is in the README.
"""

import argparse, copy, itertools, json, os, sys, time
from pathlib import Path

import pandas as pd
import papermill as pm
import yaml

ROOT = Path(__file__).resolve().parents[1]
INPUTS = [
    'collect.parquet',
    'segments.parquet',
    'scores.parquet',
    'corpus_labels.csv',
    'clips',
    'tracks',
    'raw',
    '.cache',
]


def set_key(params: dict, dotted: str, value):
    "Set `a.b.c` in a nested dict (creating levels)."
    d = params
    ks = dotted.split('.')
    for k in ks[:-1]:
        d = d.setdefault(k, {})
    d[ks[-1]] = value


def grid(sets: list[str]) -> list[dict]:
    "Cartesian product of `key=v1,v2,...` settings."
    axes = []
    for s in sets:
        k, vs = s.split('=', 1)
        axes.append([(k, yaml.safe_load(v)) for v in vs.split(',')])
    return [dict(p) for p in itertools.product(*axes)]


def run_point(point: dict, base: dict, data: Path, out: Path, notebooks=('31_filter', '41_subsets')) -> dict:
    "Run the notebooks for one grid point in `out`; return its numbers."
    work = out / '__'.join(f"{k.split('.', 1)[1] if '.' in k else k}={v}" for k, v in point.items()).replace('/', '_')
    (work / 'data').mkdir(parents=True, exist_ok=True)
    for name in INPUTS:  # inputs only: outputs are written fresh in `work`
        src, dst = (data / name).resolve(), work / 'data' / name
        if src.exists() and not dst.exists():
            os.symlink(src, dst)
    p = copy.deepcopy(base)
    p['common'] = dict(p['common'], data_dir=str(work / 'data'))
    for k, v in point.items():
        set_key(p, k, v)
    t0 = time.perf_counter()
    for nb in notebooks:
        pm.execute_notebook(
            str(ROOT / 'nbs' / f'{nb}.ipynb'),
            str(work / f'{nb}.ipynb'),
            parameters=p,
            kernel_name='python3',
            cwd=str(work),
            progress_bar=False,
        )
    f = json.loads((work / 'reports' / 'metrics' / 'filter.json').read_text())
    s = (
        json.loads((work / 'reports' / 'metrics' / 'subsets.json').read_text())
        if (work / 'reports' / 'metrics' / 'subsets.json').exists()
        else {}
    )
    row = {
        **point,
        'kept': f.get('kept'),
        'hours_kept': f.get('hours_kept'),
        'wall_s': round(time.perf_counter() - t0, 1),
    }
    for c, a in (f.get('agreement') or {}).items():
        row[f'f1_{c}'] = a.get('f1')
        row[f'acc_{c}'] = a.get('accuracy')
    core = s.get('core') or {}
    row.update(core_clips=core.get('clips'), core_hours=core.get('hours'))
    return row


def plot(df: pd.DataFrame, keys: list[str], path: Path):
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt, seaborn as sns

    sns.set_theme(style='whitegrid', context='notebook', palette='colorblind')
    f1 = [c for c in df.columns if c.startswith('f1_') and df[c].notna().any()]
    long = df.melt(id_vars=keys + ['hours_kept'], value_vars=f1, var_name='filter', value_name='F1')
    long['filter'] = long['filter'].str[3:]
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.lineplot(
        data=long, x='hours_kept', y='F1', hue='filter', style='filter', markers=True, dashes=False, ax=ax, sort=True
    )
    for _, r in df.iterrows():
        ax.annotate(
            ', '.join(f"{k.rsplit('.', 2)[-2]}.{k.rsplit('.', 1)[-1]}={r[k]}" for k in keys),
            (r.hours_kept, 1.0),
            fontsize=6,
            rotation=60,
            ha='left',
            va='bottom',
        )
    ax.set_xlabel('hours kept by the filter')
    ax.set_ylabel('F1 vs corpus labels')
    ax.set_ylim(-0.05, 1.3)
    ax.set_title('Threshold sweep: retained hours vs per-filter F1', fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    for ext in ('png', 'svg'):
        fig.savefig(path.with_suffix(f'.{ext}'), dpi=120, bbox_inches='tight')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        '--set', action='append', required=True, help='dotted params key = comma-separated values (repeatable: a grid)'
    )
    ap.add_argument('--params', default=str(ROOT / 'params.yaml'))
    ap.add_argument('--out', default=str(ROOT / 'sweeps' / 'out'))
    ap.add_argument('--filter-only', action='store_true', help='run only the filter notebook (seconds per point)')
    a = ap.parse_args(argv)
    base = yaml.safe_load(Path(a.params).read_text())
    data = (ROOT / base['common']['data_dir']).resolve()
    if not (data / 'scores.parquet').exists():
        sys.exit(f'no scores at {data}: run `dvc repro subsets` first')
    ns = pd.read_parquet(data / 'scores.parquet')
    if 'not_scored' in ns and ns.not_scored.notna().any():  # a cascade run left scores out: thresholds need them
        sys.exit(
            f'{int(ns.not_scored.notna().sum())} clips of {data} were scored with score.mode: cascade and stopped '
            'early: a threshold sweep needs every score (dvc exp run -S score.mode=full scores only the missing steps)'
        )
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    pts = grid(a.set)
    keys = list(pts[0])
    rows = []
    for i, p in enumerate(pts):
        print(f'[{i + 1}/{len(pts)}] {p}', flush=True)
        rows.append(run_point(p, base, data, out, ('31_filter',) if a.filter_only else ('31_filter', '41_subsets')))
        print('   ', {k: v for k, v in rows[-1].items() if k not in p}, flush=True)
    df = pd.DataFrame(rows)
    df.to_csv(out / 'results.csv', index=False)
    plot(df, keys, out / 'sweep')
    print(df.to_string(index=False))
    print(f'wrote {out}/results.csv and {out}/sweep.png|svg')


if __name__ == '__main__':
    main()
