"Seeds are fixed: collect + segment run twice from scratch give identical tables (paths aside) and identical clips."

import hashlib
from pathlib import Path
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _run(d):
    from talkvid_nb.collect import run_collect
    from talkvid_nb.segment import run_segment

    p = yaml.safe_load((ROOT / 'params.yaml').read_text())
    c = dict(
        p['collect'],
        synthetic=dict(
            p['collect']['synthetic'],
            n_clean_per_person=1,
            person_ids=['astronaut', 't1_p2'],
            defects=['scene_cut', 'no_speech'],
            size=160,
        ),
    )
    man = run_collect(c, d, n_workers=2)
    seg, _ = run_segment(p['segment'], d, n_workers=2, cache=False)
    return man, seg


def _md5(p):
    return hashlib.md5(Path(p).read_bytes()).hexdigest()


def test_two_runs_identical(tmp_path):
    (m1, s1), (m2, s2) = _run(tmp_path / 'a'), _run(tmp_path / 'b')
    drop = ['path']
    pd.testing.assert_frame_equal(m1.drop(columns=drop), m2.drop(columns=drop))
    pd.testing.assert_frame_equal(s1.drop(columns=drop), s2.drop(columns=drop))
    assert (s1.status == 'ok').sum() >= 3
    for a, b in zip(sorted((tmp_path / 'a' / 'clips').glob('*.mp4')), sorted((tmp_path / 'b' / 'clips').glob('*.mp4'))):
        assert a.name == b.name and _md5(a) == _md5(b)
