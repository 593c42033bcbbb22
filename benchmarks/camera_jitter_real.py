"""Camera jitter and ρ of the flow motion backend (params.yaml's settings) on every clip of ../shared/real and the
shared samples, whole: does the jitter ceiling (`filter.per_backend.flow.motion.jitter_max`) reject real footage the
ladder never showed (face-tracked crops, hand-held selfies)?

python benchmarks/camera_jitter_real.py  # -> reports/real_validity/camera_jitter_real.csv, a table printed
"""

import pandas as pd
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor

from real_validity import run_flow  # this folder's: one way to run the flow backend over a clip


def one(path):
    from talkvid_nb.media import probe

    r = run_flow(path, probe(path)['duration']).result()
    return dict(file=Path(path).name, rho=r['cotracker_ratio_paper'], camera_jitter=r['camera_jitter'])


if __name__ == '__main__':
    root = Path(__file__).resolve().parents[1]
    files = sorted((root.parent / 'shared' / 'real').glob('*.mp4')) + sorted(
        (root.parent / 'shared' / 'samples' / 'talking_heads').glob('*.mp4')
    )
    with ProcessPoolExecutor(2) as ex:
        res = pd.DataFrame(list(ex.map(one, map(str, files))))
    man = pd.read_csv(root.parent / 'shared' / 'real' / 'manifest.csv')
    key = [c for c in man.columns if 'file' in c][0]
    res = res.merge(man[[key, 'role_guess']].rename(columns={key: 'file'}), on='file', how='left')
    res.to_csv(root / 'reports' / 'real_validity' / 'camera_jitter_real.csv', index=False)
    pd.set_option('display.width', 200)
    print(res.sort_values('camera_jitter', ascending=False).head(15).round(3).to_string())
    print(res.groupby(res.role_guess.fillna('sample')).camera_jitter.describe().round(3))
