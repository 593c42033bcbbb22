"""Audio-visual offsets measured on the shared samples that have speech (not a test: run by hand).

python benchmarks/sync_samples.py [--samples ../shared/samples/talking_heads] [--min-speech 0.3] [--out
reports/benchmarks]

For every sample video with an audio track and a Silero speech ratio (samples.csv) of at least --min-speech, the
whole video is scored once (`talkvid_nb.cli.score_video`, the `talkvid-score` command) and its sync offset
(ms, positive = audio lags video), offset in frames, confidence and backend are tabulated. Real clips have no
known true offset: the table shows what the sync scorer says about real talking-head footage, and which clips the
strict profile would drop. It then shifts each clip's audio by known amounts (--shifts, ms) and re-measures with
the same face track: whether the measured offset moves by the known shift tells if the scorer follows real mouths
at all, whatever the recording's own offset. The backend is the one params.yaml resolves to (`av_map` with the map of
the `sync_map` stage, trained on ../shared/real: none of these samples is in it)."""

import argparse, json
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--samples', default=str(ROOT.parent / 'shared' / 'samples' / 'talking_heads'))
    ap.add_argument('--min-speech', type=float, default=0.3)
    ap.add_argument('--shifts', default='-480,-240,-120,-40,40,120,240,480', help='known shifts, ms (+ = audio later)')
    ap.add_argument('--out', default=str(ROOT / 'reports' / 'benchmarks'))
    a = ap.parse_args()
    import tempfile
    import numpy as np
    from talkvid_nb.core import safe_id
    from talkvid_nb.cli import score_video
    from talkvid_nb.media import delay_audio, load_audio
    from talkvid_nb.sync import sync_backend, track_sync

    params = yaml.safe_load((ROOT / 'params.yaml').read_text())
    meta = pd.read_csv(Path(a.samples) / 'samples.csv')
    meta = meta[(meta.audio != 'none') & (meta.speech_ratio_silero.fillna(0) >= a.min_speech)]
    backend = sync_backend(params['score']['sync'])
    th = params['filter']['per_backend'].get(backend, {}).get('sync') or params['filter']['sync']
    rows, td = [], Path(tempfile.mkdtemp())
    for r in meta.itertuples():
        rec = score_video(
            Path(a.samples) / r.file, params, tracks_dir=td
        )  # the face track is kept for the shifts below
        s = rec['sync']
        fps = float(params['score'].get('fps', 25))
        off = s.get('sync_offset_ms')
        conf = s.get('sync_confidence')
        rows.append(
            dict(
                file=r.file,
                seconds=r.duration_s,
                fps_source=r.fps,
                speech_ratio=r.speech_ratio_silero,
                sync_offset_ms=off,
                sync_offset_frames=None if off is None else round(off / 1000 * fps),
                sync_confidence=None if conf is None else round(conf, 3),
                backend=rec['filter']['backends'].get('sync_backend'),
                strict_keeps=bool(
                    off is not None
                    and conf is not None
                    and abs(off / 1000 * fps) <= th['max_offset_frames']
                    and conf >= th['min_confidence']
                ),
            )
        )
    df = pd.DataFrame(rows)
    print(df.to_string(index=False))
    shifts = [int(x) for x in a.shifts.split(',') if x.strip()]
    sc = params['score'].get('sync') or {}
    fps = float(params['score'].get('fps', 25))
    sync = track_sync(sc)
    lad = []
    for r in meta.itertuples():
        v = Path(a.samples) / r.file
        z = np.load(td / f'{safe_id(v.stem)}.npz')
        au = load_audio(v, 16000)
        base = sync.on_track(z, au, 16000, fps)['sync_offset_ms']
        for ms in shifts:
            m = sync.on_track(z, delay_audio(au, round(ms * 16)), 16000, fps)
            moved = None if base is None or m['sync_offset_ms'] is None else m['sync_offset_ms'] - base
            lad.append(
                dict(
                    file=r.file,
                    shift_ms=ms,
                    measured_ms=m['sync_offset_ms'],
                    moved_ms=moved,
                    confidence=round(m['sync_confidence'] or 0, 3),
                    follows=moved is not None and abs(moved - ms) <= 1000 / fps + 1e-6,
                )
            )
    lad = pd.DataFrame(lad)
    Path(a.out).mkdir(parents=True, exist_ok=True)
    if len(lad):
        print(lad.to_string(index=False))
        lad.to_csv(Path(a.out) / 'sync_samples_shifted.csv', index=False)
    df.to_csv(Path(a.out) / 'sync_samples.csv', index=False)
    print(
        json.dumps(
            {
                'backend': backend,
                'clips': len(df),
                'within_1_frame_of_0': int((df.sync_offset_frames.abs() <= 1).sum()),
                'median_confidence': float(df.sync_confidence.median()) if len(df) else None,
                'known_shifts_followed_within_1_frame': float(lad.follows.mean()) if len(lad) else None,
            },
            indent=1,
        )
    )


if __name__ == '__main__':
    main()
