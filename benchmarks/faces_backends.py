"""dlib against MediaPipe on real clips and on the corpus: detection rate, fit jitter, pose and landmark agreement,
mouth-audio coupling and per-frame cost in one worker (not a test: run by hand; it decides `score.faces.backend: auto`).

python benchmarks/faces_backends.py [--seconds 4] [--out reports/faces]

Every clip of ../shared/real (roles from its manifest.csv), ../shared/samples/talking_heads and the corpus clips of
the last `dvc repro` (data/clips, labels from data/corpus_labels.csv) is decoded once at the score stage's analysis
size and rate (512-px short side, 25 fps; the first --seconds), and each backend runs the study's own `FaceTracker`
(`score.faces` settings) over the same frames in this one process. Per clip and backend:

- `face_rate`: share of frames with a face;
- `jitter`: median over frames of the median distance of the 68 points from the midpoint of their positions one
  frame before and after (a fit that shakes on a steady face moves there; smooth head motion does not), in
  inter-ocular distances;
- `lm_gap`: median distance between the two backends' 68 points (inter-ocular distances), `d_pitch`, `d_yaw`,
  `d_roll`: median absolute pose difference (degrees), on frames where both have a face;
- `mouth_av`: the largest correlation, over lags of -2..+2 frames, between the mouth opening (`25_sync`'s
  `mouth_opening`: inner-lip gap over the outer-eye distance, from the 68 points) and the audio's log energy at the
  frame rate: how much the mouth signal follows the speech (clips with speech only);
- `ms_frame`: the tracker's wall time per frame, detection and landmarks included (decoding excluded).

Writes backends.csv (one row per clip and backend) and backends.md (medians per source and role)."""

import argparse, time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / 'shared'


def clips(real: Path, samples: Path, corpus: Path) -> pd.DataFrame:
    "Every clip to measure, with its source and role."
    rows = []
    if (real / 'manifest.csv').exists():
        m = pd.read_csv(real / 'manifest.csv')
        rows += [
            dict(source='real', file=str(real / r.file), role=r.role_guess, person=r.person_id) for r in m.itertuples()
        ]
    if (samples / 'samples.csv').exists():
        s = pd.read_csv(samples / 'samples.csv')
        rows += [
            dict(source='samples', file=str(samples / r.file), role='sample', person=r.file) for r in s.itertuples()
        ]
    lab = ROOT / 'data' / 'corpus_labels.csv'
    if corpus.exists() and lab.exists():
        L = pd.read_csv(lab).set_index('video_id')
        for p in sorted(corpus.glob('*.mp4')):
            v = p.name.split('-')[0]  # clips are <video_id>-<start>-<end>.mp4
            if v in L.index:
                rows += [dict(source='corpus', file=str(p), role=L.defect[v], person=L.person_id[v])]
    return pd.DataFrame(rows)


def audio_energy(path: str, n: int, fps: float, sr: int = 16000) -> np.ndarray | None:
    "Log RMS energy of the audio per video frame (None without audio)."
    from talkvid_nb.media import load_audio

    a = load_audio(path, sr, 0.0, n / fps)
    hop = int(sr / fps)
    if len(a) < hop * n // 2:
        return None
    a = np.pad(a, (0, max(0, hop * n - len(a))))[: hop * n].reshape(n, hop)
    return np.log(np.sqrt((a**2).mean(1)) + 1e-4)


def coupling(mouth: np.ndarray, energy: np.ndarray, lags: int = 2) -> float:
    "Largest Pearson correlation between mouth opening and energy over small lags (NaN if too few frames)."
    best = np.nan
    for k in range(-lags, lags + 1):
        m, e = (mouth[k:], energy[: len(energy) - k]) if k >= 0 else (mouth[:k], energy[-k:])
        ok = np.isfinite(m) & np.isfinite(e)
        if ok.sum() < 25 or m[ok].std() == 0:
            continue
        r = float(np.corrcoef(m[ok], e[ok])[0, 1])
        best = r if not np.isfinite(best) else max(best, r)
    return best


def jitter(lm: np.ndarray) -> float:
    "Median second difference of the 68 points, in inter-ocular distances."
    iod = np.linalg.norm(lm[:, 36:42].mean(1) - lm[:, 42:48].mean(1), axis=1)
    mid = (lm[:-2] + lm[2:]) / 2
    d = np.median(np.linalg.norm(lm[1:-1] - mid, axis=2), axis=1) / np.maximum(iod[1:-1], 1e-6)
    d = d[np.isfinite(d)]
    return float(np.median(d)) if len(d) else np.nan


def run(backend, frames, f: dict) -> tuple[dict, float]:
    "The study's tracker over the frames: its track arrays and the wall time per frame."
    from talkvid_nb.faces import FaceTracker

    if hasattr(backend, 'reset'):
        backend.reset()
    tr = FaceTracker(backend, int(f['detect_every']), int(f['retry_every']), retry_backoff=float(f['retry_backoff']))
    t0 = time.perf_counter()
    for i, (t, rgb) in enumerate(frames):
        tr.update(i, t, rgb)
    return tr.track(), (time.perf_counter() - t0) / max(len(frames), 1) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--real', default=str(SHARED / 'real'))
    ap.add_argument('--samples', default=str(SHARED / 'samples' / 'talking_heads'))
    ap.add_argument('--corpus', default=str(ROOT / 'data' / 'clips'))
    ap.add_argument('--seconds', type=float, default=4.0)
    ap.add_argument('--limit', type=int, default=None, help='first N clips only (a quick look)')
    ap.add_argument('--out', default=str(ROOT / 'reports' / 'faces'))
    a = ap.parse_args()
    from talkvid_nb.faces import DlibFaces, MediaPipeFaces
    from talkvid_nb.sync import mouth_opening
    from talkvid_nb.media import iter_frames

    cfg = yaml.safe_load((ROOT / 'params.yaml').read_text())['score']
    f = cfg['faces']
    backends = {'dlib': DlibFaces(), 'mediapipe': MediaPipeFaces(ROOT / f['mediapipe_model'])}
    todo = clips(Path(a.real), Path(a.samples), Path(a.corpus))
    if a.limit:
        todo = todo.head(a.limit)
    rows = []
    for k, c in enumerate(todo.itertuples()):
        fr = list(iter_frames(c.file, int(cfg['short_side']), float(cfg['fps']), end=a.seconds, threads=1))
        if len(fr) < 5:
            continue
        energy = audio_energy(c.file, len(fr), float(cfg['fps']))
        tracks = {}
        for name, b in backends.items():
            tr, ms = run(b, fr, f)
            tracks[name] = tr
            lm = tr['landmarks']
            mo = mouth_opening(lm)
            rows.append(
                dict(
                    source=c.source,
                    role=c.role,
                    person=c.person,
                    file=Path(c.file).name,
                    backend=name,
                    frames=len(fr),
                    face_rate=float(np.isfinite(lm[:, 0, 0]).mean()),
                    jitter=jitter(lm),
                    mouth_av=np.nan if energy is None else coupling(mo, energy),
                    ms_frame=ms,
                )
            )
        A, B = tracks['dlib'], tracks['mediapipe']
        both = np.isfinite(A['landmarks'][:, 0, 0]) & np.isfinite(B['landmarks'][:, 0, 0])
        if both.any():
            iod = np.linalg.norm(A['kps'][both, 0] - A['kps'][both, 1], axis=1)
            gap = np.median(np.linalg.norm(A['landmarks'][both] - B['landmarks'][both], axis=2), axis=1) / iod
            dp = np.nanmedian(np.abs(A['pose'][both] - B['pose'][both]), axis=0)
            for r in rows[-2:]:
                r.update(lm_gap=float(np.median(gap)), d_pitch=dp[0], d_yaw=dp[1], d_roll=dp[2])
        print(k, c.source, c.role, Path(c.file).name, [round(r['face_rate'], 2) for r in rows[-2:]], flush=True)
    df = pd.DataFrame(rows)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / 'backends.csv', index=False)
    cols = ['face_rate', 'jitter', 'mouth_av', 'ms_frame', 'lm_gap', 'd_pitch', 'd_yaw', 'd_roll']
    med = df.groupby(['source', 'role', 'backend'])[cols].median().round(3)
    med.insert(0, 'clips', df.groupby(['source', 'role', 'backend']).size())
    allm = df.groupby(['source', 'backend'])[cols].median().round(3)
    allm.insert(0, 'clips', df.groupby(['source', 'backend']).size())
    text = (
        f'# Face backends on real clips and the corpus\n\n`python benchmarks/faces_backends.py --seconds {a.seconds}`'
        f' (first {a.seconds:g} s of each clip, 512 px, 25 fps, one process). Medians over clips.\n\n'
        f'## Per source\n\n{allm.to_markdown()}\n\n## Per source and role\n\n{med.to_markdown()}\n'
    )
    (out / 'backends.md').write_text(text)
    print(text)


if __name__ == '__main__':
    main()
