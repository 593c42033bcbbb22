"""Offline quality on real footage (issue 28), on persons the real-footage ladder never saw: two shared samples
(a LivePortrait webcam close-up and a V-Express close-up) and their mildest quality defects of the ladder (blur σ 2,
noise σ 12, x264 CRF 40), each cut as the segment stage cuts it, scored by the quality scorer and judged by the
thresholds params.yaml ships. The ceilings were fitted on other persons (`benchmarks/real_validity.py`)."""

import numpy as np
import pytest

UNSEEN = ['lp_driving_d19', 'vx_short_tys']
COPIES = [('none', None), ('blur', 2.0), ('noise', 12.0), ('compression', 40)]


@pytest.fixture(scope='module')
def judged(samples, tmp_path_factory):
    "Each clip and copy: (name, defect) -> (passes the quality criterion, its scores)."
    from talkvid_nb.core import load_params
    from talkvid_nb.filter import criterion_pass, thresholds
    from talkvid_nb.ladder import apply_defect
    from talkvid_nb.media import cut, iter_frames, load_audio, write_video
    from talkvid_nb.quality import make_scorer
    from talkvid_nb.score import decode_chunks
    import pandas as pd

    cfg = load_params(section='score')
    th = thresholds(load_params(section='filter'), 'paper', {'quality': 'brisque'})['quality']
    d, out = tmp_path_factory.mktemp('quality_real'), {}
    for name in UNSEEN:
        path = samples / f'{name}.mp4'
        frames = np.stack([f for _, f in iter_frames(path, short_side=512, fps=25.0, upscale=False, end=6.0)])
        audio = load_audio(path, 16000, end=6.0)
        for defect, strength in COPIES:
            f, a, crf = apply_defect(defect, strength, frames, audio, name, None, 25.0, 16000)
            write_video(d / f'{name}_{defect}.mp4', f, 25.0, a, 16000, crf=crf)
            clip = d / f'{name}_{defect}_clip.mp4'
            cut(d / f'{name}_{defect}.mp4', clip, 0.0, len(f) / 25.0)  # the segment stage's re-encode
            q = make_scorer(cfg, dict(path=str(clip), fps=25.0, duration=len(f) / 25.0), {})
            for chunk in decode_chunks(str(clip), cfg):
                q.update(chunk)
            r = q.result()
            out[name, defect] = (bool(criterion_pass(pd.DataFrame([r]), 'quality', th, 'paper')[0]), r)
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
