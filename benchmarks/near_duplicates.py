"""The near-duplicate rule measured on the shared samples (not a test: run by hand).

python benchmarks/near_duplicates.py [--samples ../shared/samples/talking_heads] [--work /tmp/talkvid_near_dups]
[--out reports/benchmarks]

Every sample gets three copies a re-upload would make — re-encoded (x264 crf 35), resized (short side 180) and
trimmed (its first second cut) — and every pair of the originals and copies is compared with `talkvid_nb.dedup`'s
signatures: a pair of one sample's versions is a positive, a pair of two different samples (some show the same person
in the same studio) a negative. Prints the match scores' ranges and, at params.yaml's `segment.dedup` thresholds, the
recall per kind of copy and the false positives; writes `near_duplicates.json`."""

import argparse, itertools, json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
COPIES = {'reencode': dict(short=None, crf=35, start=0.0), 'resize': dict(short=180, crf=23, start=0.0),
          'trim1s': dict(short=None, crf=23, start=1.0)}  # fmt: skip


def make_copies(src: Path, work: Path) -> list[Path]:
    "The sample's re-encoded, resized and trimmed copies (made once, kept in `work`)."
    from talkvid_nb.media import iter_frames, load_audio, probe, write_video

    audio = load_audio(src, 16000) if probe(src)['has_audio'] else None
    out = []
    for name, c in COPIES.items():
        dst = work / f'{src.stem}@{name}.mp4'  # '@': real file names hold '__'
        if not dst.exists():
            frames = (f for t, f in iter_frames(src, short_side=c['short'], fps=25, upscale=False) if t >= c['start'])
            sound = None if audio is None else audio[int(c['start'] * 16000) :]
            write_video(dst, frames, fps=25, audio=sound, sr=16000, crf=c['crf'])
        out.append(dst)
    return out


def main():
    from talkvid_nb.dedup import audio_match, clip_signature, near_duplicates, visual_match

    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--samples', default=str(ROOT.parent / 'shared' / 'samples' / 'talking_heads'))
    ap.add_argument('--work', default='/tmp/talkvid_near_dups')
    ap.add_argument('--out', default=str(ROOT / 'reports' / 'benchmarks'))
    a = ap.parse_args()
    cfg = yaml.safe_load((ROOT / 'params.yaml').read_text())['segment']['dedup']
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    paths = []
    for src in sorted(Path(a.samples).glob('*.mp4')):
        paths += [src, *make_copies(src, work)]
    sigs = {p.stem: clip_signature(dict(clip_id=p.stem, path=p)) for p in paths}
    arr = {k: (np.asarray(s['frames'], np.uint64), np.asarray(s['audio'], np.uint16)) for k, s in sigs.items()}
    rows = []
    for x, y in itertools.combinations(sorted(sigs), 2):
        (fa, aa), (fb, ab) = sorted([arr[x], arr[y]], key=lambda s: len(s[0]))
        heard = min(len(aa), len(ab)) >= cfg['min_overlap']
        rule = near_duplicates([sigs[x], sigs[y]], cfg)
        rows.append(
            dict(
                a=x,
                b=y,
                kind=max(x.split('@')[1:] + y.split('@')[1:], default='original'),
                positive=x.split('@')[0] == y.split('@')[0],
                visual=visual_match(fa, fb, cfg['max_hamming']),
                audio=audio_match(aa, ab, cfg['min_overlap']) if heard else None,
                flagged=bool(rule),
            )
        )
    df = pd.DataFrame(rows)
    pos, neg = df[df.positive], df[~df.positive]
    heard = pos[pos.audio.notna()]
    look_alike = neg[neg.visual >= cfg['min_visual']]
    res = dict(
        thresholds=cfg,
        versions=len(sigs),
        positive_pairs=len(pos),
        negative_pairs=len(neg),
        recall=round(float(pos.flagged.mean()), 4),
        recall_per_copy={k: round(float(g.flagged.mean()), 4) for k, g in pos.groupby('kind')},
        false_positives=int(neg.flagged.sum()),
        precision=round(float(pos.flagged.sum() / max(1, df.flagged.sum())), 4),
        positives_audio_min=None if heard.empty else round(float(heard.audio.min()), 4),
        positives_visual_min=round(float(pos.visual.min()), 4),
        negatives_look_alike=len(look_alike),
        negatives_look_alike_audio_max=None
        if look_alike.audio.dropna().empty
        else round(float(look_alike.audio.max()), 4),
        negatives_visual_max_without_audio=round(float(neg[neg.audio.isna()].visual.max()), 4),
    )
    print(json.dumps(res, indent=1))
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / 'near_duplicates.json').write_text(json.dumps(res, indent=1))


if __name__ == '__main__':
    main()
