"""Offline quality on real footage (issue 28), on persons the real-footage ladder never saw: two shared samples
(a LivePortrait webcam close-up and a V-Express close-up) and their mildest quality defects of the ladder (blur σ 2,
noise σ 12, x264 CRF 40), each cut as the segment stage cuts it, scored by the quality scorer and judged by the
thresholds params.yaml ships. The ceilings were fitted on other persons (`benchmarks/real_validity.py`)."""

import pytest

UNSEEN = ['lp_driving_d19', 'vx_short_tys']


@pytest.fixture(scope='module')
def judged(samples, tmp_path_factory):
    "Each clip and copy: (name, defect) -> (passes the quality criterion, its scores)."
    import pandas as pd
    from talkvid_nb.core import load_params
    from talkvid_nb.filter import criterion_pass, thresholds
    from talkvid_nb.ladder import quality_copies
    from talkvid_nb.quality import quality_of

    cfg = load_params(section='score')
    th = thresholds(load_params(section='filter'), 'paper', {'quality': 'brisque'})['quality']
    d, out = tmp_path_factory.mktemp('quality_real'), {}
    for name in UNSEEN:
        for c in quality_copies(samples / f'{name}.mp4', d):
            r = quality_of(c['path'], cfg)
            out[name, c['defect']] = (bool(criterion_pass(pd.DataFrame([r]), 'quality', th, 'paper')[0]), r)
    return out


@pytest.mark.parametrize('name', UNSEEN)
def test_clean_unseen_real_clip_passes_quality(judged, name):
    ok, r = judged[name, 'none']
    assert r['quality_backend'] == 'brisque'
    assert ok, r


@pytest.mark.parametrize('name', UNSEEN)
@pytest.mark.parametrize('defect', ['blur', 'noise', 'compression'])
def test_mild_defects_fail_quality(judged, name, defect):
    ok, r = judged[name, defect]
    assert not ok, r
    clean = judged[name, 'none'][1]
    col = {'blur': 'quality_blur', 'noise': 'quality_noise', 'compression': 'quality_blocking'}[defect]
    assert r[col] > 2 * clean[col], (col, r[col], clean[col])  # caught by its own measure, not by chance
