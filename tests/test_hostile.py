"""Nothing lost: a hostile folder and hostile released metadata, made here (never committed media), run through collect
-> segment -> score -> filter. No crash; every input is a row with a reason; nothing is written outside the data
folder, and no file is created by a name that came from outside."""

import json, os, shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from talkvid_nb.core import load_params, read_table
from talkvid_nb.collect import run_collect
from talkvid_nb.corpus import corpus_specs, make_clip


def _listing(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob('*')}


def make_hostile_folder(root: Path) -> dict[str, tuple[str, str | None]]:
    "A folder of hostile inputs; entry name -> the (status, reason) its collect row must have."
    from talkvid_nb.media import write_video

    root.mkdir(parents=True)
    specs = corpus_specs(4, [], duration=5.6, size=128, person_ids=['astronaut'])
    names = ['good.mp4', '; rm -rf ~ ; $(touch pwned).MP4', '-leading-dash.mp4', 'ünïcödé clip.mp4']
    for spec, name in zip(specs, names):  # four different clips, with names a shell would choke on
        shutil.move(make_clip(spec, root / '.render')['path'], root / name)
    shutil.rmtree(root / '.render')
    shutil.copy(root / 'good.mp4', root / 'good_copy.mp4')
    data = (root / 'good.mp4').read_bytes()
    (root / 'truncated.mp4').write_bytes(data[: len(data) // 3])
    (root / 'zero.mp4').write_bytes(b'')
    (root / 'garbage.mkv').write_bytes(np.random.default_rng(0).bytes(5000))
    silence = np.zeros(120 * 16000, np.float32)  # two minutes of a still frame: dropped for speech, memory bounded
    write_video(root / 'static.mp4', (np.full((64, 64, 3), 90, np.uint8) for _ in range(120 * 25)), audio=silence)
    (root / 'dangling.mp4').symlink_to(root / 'nowhere.mp4')
    (root / 'folder.mp4').mkdir()
    (root / 'notes.txt').write_text('not a video')
    (root / 'metadata.csv').write_text('file,person_id\ngood.mp4,p1\n../../etc/passwd,p2\n')
    return {
        **{name: ('ok', None) for name in names + ['static.mp4']},
        'good_copy.mp4': ('dropped', 'duplicate'),
        'truncated.mp4': ('error', 'unreadable'),
        'zero.mp4': ('error', 'unreadable'),
        'garbage.mkv': ('error', 'unreadable'),
        'dangling.mp4': ('error', 'dangling_link'),
        'notes.txt': ('dropped', 'not_video'),
        '../../etc/passwd': ('error', 'missing_file'),
    }


@pytest.fixture(scope='module')
def hostile(tmp_path_factory):
    work = tmp_path_factory.mktemp('hostile')
    expected = make_hostile_folder(work / 'in')
    before, cwd_before = _listing(work / 'in'), set(os.listdir('.'))
    d = work / 'data'
    params = load_params()
    run_collect({'source': 'folder', 'folder': {'path': str(work / 'in')}}, d)
    from talkvid_nb.segment import run_segment
    from talkvid_nb.score import run_score
    from talkvid_nb.filter import apply_filter

    run_segment(params['segment'], d)
    run_score(params['score'], d)
    filtered = apply_filter(read_table(d / 'scores.parquet'), params['filter'])
    return work, expected, before, cwd_before, filtered


def test_every_entry_is_a_row_with_its_reason(hostile):
    work, expected, *_ = hostile
    man = read_table(work / 'data' / 'collect.parquet')
    root = work / 'in'
    got = {os.path.relpath(p, root): (s, r) for p, s, r in zip(man.path, man.status, man.reason)}
    assert {k: (s, None if pd.isna(r) else r) for k, (s, r) in got.items()} == expected


def test_the_pipeline_accounts_for_every_video(hostile):
    work, _, _, _, filtered = hostile
    d = work / 'data'
    man, seg, sc = (read_table(d / f'{t}.parquet') for t in ('collect', 'segments', 'scores'))
    assert set(seg.video_id) == set(man.video_id)  # every collect row reaches segment, kept or as an upstream row
    assert set(sc.clip_id) == set(seg.clip_id) == set(filtered.clip_id)
    assert (sc[sc.clip_id.isin(seg.loc[seg.status == 'ok', 'clip_id'])].status == 'ok').all()  # no scoring error
    assert seg.status.isin(['ok', 'dropped', 'error']).all() and seg.loc[seg.status != 'ok', 'reason'].notna().all()
    static = seg[seg.video_id == man.loc[man.path.str.endswith('static.mp4'), 'video_id'].iloc[0]]
    assert len(static) and (static.status == 'dropped').all() and (static.reason == 'speech').all()
    shells = man[man.path.str.contains('pwned|leading-dash|ünïcödé')]
    assert len(shells) == 3 and seg[seg.video_id.isin(shells.video_id)].status.eq('ok').sum() == 3  # processed as usual


def test_nothing_written_outside_the_data_folder(hostile):
    work, _, before, cwd_before, _ = hostile
    assert _listing(work / 'in') == before  # the inputs untouched, nothing created beside them
    assert sorted(os.listdir(work)) == ['data', 'in']
    assert set(os.listdir('.')) == cwd_before and not Path('pwned').exists()


def test_hostile_released_metadata_becomes_rows(tmp_path):
    "Every record invalid: a row each, validated before any download (none is tried: this test needs no network)."
    link = {'Video Link': 'https://example.invalid/v.mp4'}
    recs = [
        {'id': '../../../../tmp/escape', 'start-time': 0, 'end-time': 1, 'info': link},
        {'id': 'reversed', 'start-time': 2.0, 'end-time': 1.0, 'info': link},
        {'id': 'negative', 'start-time': -1.0, 'end-time': 1.0, 'info': link},
        {'id': 'no-info', 'start-time': 0, 'end-time': 1},
        {'id': '', 'start-time': 0, 'end-time': 1, 'info': link},
        {'id': 'not-numbers', 'start-time': 'NaN', 'end-time': 'abc', 'info': link},
        {'id': 'javascript', 'start-time': 0, 'end-time': 1, 'info': {'Video Link': 'javascript:alert(1)'}},
        [1, 2],
    ]
    (tmp_path / 'talkvid.json').write_text(json.dumps(recs))
    man = run_collect(
        {'source': 'talkvid_json', 'talkvid_json': {'path': str(tmp_path / 'talkvid.json')}}, tmp_path / 'd'
    )
    assert man.sort_values('video_id').reason.tolist() == [
        'bad_id',
        'bad_span',
        'bad_span',
        'missing_field',
        'bad_id',
        'bad_span',
        'unsupported_scheme',
        'bad_record',
    ]
    assert (man.status == 'error').all() and man.detail.notna().all()
    assert [p.name for p in (tmp_path / 'd' / 'raw').iterdir()] == ['README.txt'] and not Path('/tmp/escape').exists()
