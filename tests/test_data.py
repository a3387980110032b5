"""Real video + caption datasets: folders with sidecar captions and CSV/JSONL manifests,
decoded with PyAV, resized and cropped, bad files skipped and counted."""
import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from tinyt2v.data import DataError, SkipClip, list_items, load_clip, parse_source, video_batches
from tinyt2v.io import write_video
from tinyt2v.train import TrainConfig, train
from tinyt2v.world import clip_batch, get_world

TINY = dict(width_enc=4, width_dec=8, hidden=32, prior_width=32, prior_depth=1, text_dim=16,
            latent=8, enc_frames=2, dec_frames=1)


def write_webm(path: Path, video: np.ndarray, fps: int = 8) -> None:
    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libvpx-vp9", rate=fps)
        stream.width, stream.height, stream.pix_fmt = video.shape[2], video.shape[1], "yuv420p"
        for frame in video:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """6 good clips (mp4, webm, gif), one corrupt, one too short, one without a caption."""
    root = tmp_path_factory.mktemp("videos")
    batch = clip_batch(get_world("default"), "test", 6, seed=5)
    for i, (video, caption) in enumerate(zip(batch.video, batch.captions)):
        ext = [".mp4", ".webm", ".gif"][i % 3]
        (write_webm if ext == ".webm" else write_video)(root / f"clip{i}{ext}", video)
        (root / f"clip{i}.txt").write_text(caption + "\n")
    (root / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x13" * 500)
    (root / "corrupt.txt").write_text("a broken file")
    write_video(root / "short.mp4", batch.video[0][:5])
    (root / "short.txt").write_text("too few frames")
    write_video(root / "nocaption.mp4", batch.video[0])
    return root, batch


def test_a_folder_lists_captioned_videos_and_reports_the_rest(dataset):
    root, batch = dataset
    listing = list_items(root)
    assert len(listing.items) == 8  # 6 good + corrupt + short: decoding tells those apart
    assert listing.uncaptioned == ["nocaption.mp4: no nocaption.txt beside it"]
    texts = {i.path.name: i.text for i in listing.items}
    assert texts["clip1.webm"] == batch.captions[1]


@pytest.mark.parametrize("i", range(6))
def test_each_format_decodes_to_the_training_shape_and_content(dataset, i):
    root, batch = dataset
    path = next(root.glob(f"clip{i}.*[!t]"))
    clip = load_clip(path, 16, 64, 64)
    assert clip.shape == (16, 64, 64, 3) and clip.dtype == np.uint8
    assert np.abs(clip.astype(int) - batch.video[i]).mean() < 6  # lossy codecs, same picture


def test_stride_and_resize_with_centre_crop(tmp_path):
    video = np.zeros((20, 96, 128, 3), np.uint8)
    for t in range(20):
        video[t, :, :, 0] = t * 12  # frame index in the red channel
    video[:, :, :12] = 255  # a white band on the left: 6 px after resizing, the crop drops 8
    write_video(tmp_path / "wide.mp4", video)
    clip = load_clip(tmp_path / "wide.mp4", 5, 48, 48, stride=4)
    assert clip.shape == (5, 48, 48, 3)
    assert np.allclose(clip[:, 24, 24, 0], [0, 48, 96, 144, 192], atol=6)
    assert clip[:, :, :, 1].max() < 30  # no white left


@pytest.mark.parametrize("name, why", [("corrupt.mp4", "unreadable"), ("short.mp4", "too short")])
def test_bad_files_say_why(dataset, name, why):
    with pytest.raises(SkipClip, match=why):
        load_clip(dataset[0] / name, 16, 64, 64)


def test_manifest_rows_with_missing_files_are_reported_by_line(dataset, tmp_path):
    root, _ = dataset
    csv = tmp_path / "manifest.csv"
    csv.write_text(f"path,text\n{root}/clip0.mp4,a caption\nmissing.mp4,another\n{root}/clip2.gif,third\n")
    listing = list_items(csv)
    assert [i.text for i in listing.items] == ["a caption", "third"]
    assert listing.missing == ["manifest.csv line 3: missing.mp4 not found"]
    jsonl = tmp_path / "manifest.jsonl"
    jsonl.write_text(json.dumps({"path": str(root / "clip1.webm"), "caption": "x"}) + "\n")
    assert [i.text for i in list_items(jsonl).items] == ["x"]


def test_a_folder_holding_a_manifest_is_read_through_it(dataset, tmp_path):
    root = dataset[0]
    (tmp_path / "clips").mkdir()
    (tmp_path / "manifest.csv").write_text(f"path,text\n{root}/clip0.mp4,a caption\n{root}/clip2.gif,third\n")
    assert [i.text for i in list_items(tmp_path).items] == ["a caption", "third"]


def test_a_clip_with_an_empty_caption_is_left_out_and_reported(dataset, tmp_path):
    root = dataset[0]
    (tmp_path / "manifest.csv").write_text(f"path,text\n{root}/clip0.mp4,a caption\n{root}/clip2.gif,\n")
    listing = list_items(tmp_path / "manifest.csv")
    assert [i.text for i in listing.items] == ["a caption"]
    assert listing.uncaptioned == [f"manifest.csv line 3: {root}/clip2.gif has an empty caption"]


def test_bad_sources_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match="videos:PATH"):
        parse_source("mp4s:/x")
    with pytest.raises(DataError, match="does not exist"):
        parse_source(f"videos:{tmp_path}/nope")
    with pytest.raises(DataError, match="no captioned video"):
        video_batches(f"videos:{tmp_path}", get_world("default"), 2)


@pytest.mark.parametrize("workers", [0, 2])
def test_loader_counts_skips_per_epoch(dataset, workers):
    logs = []
    batches = video_batches(f"videos:{dataset[0]}", get_world("default"), 3, workers=workers)
    batches.log = logs.append
    for _ in range(5):  # 15 clips = 2.5 epochs of 6 good ones
        batch = next(batches)
        assert batch.video.shape == (3, 16, 64, 64, 3) and len(batch.captions) == 3
    assert batches.epochs_done == 2
    assert batches.report()["data_skipped_unreadable"] == 1  # files skipped in the last epoch
    assert batches.report()["data_skipped_too_short"] == 1
    assert logs == ["data: epoch 1 done; skipped files: too short 1, unreadable 1"]  # said once


def test_each_file_is_decoded_once_and_later_epochs_give_the_same_clips(dataset, monkeypatch):
    import tinyt2v.data as data

    decoded = []
    real_load = data.load_clip
    monkeypatch.setattr(data, "load_clip", lambda path, *a: decoded.append(path.name) or real_load(path, *a))
    batches = video_batches(f"videos:{dataset[0]}", get_world("default"), 6)
    batches.log = lambda msg: None
    first, second = next(batches), next(batches)  # epoch 1, then epoch 2 in another order
    assert sorted(decoded) == sorted(i.path.name for i in list_items(dataset[0]).items)  # 8: the 2 bad too
    assert batches.report()["data_skipped_unreadable"] == 1  # a bad file is still counted each epoch
    by_caption = lambda b: sorted(zip(b.captions, (v.tobytes() for v in b.video)))  # noqa: E731
    assert by_caption(first) == by_caption(second)


@pytest.fixture(scope="module")
def seven_files(dataset, tmp_path_factory):
    """5 good clips, one unreadable, one too short: 2 workers get unequal shares (4 and 3)."""
    import shutil

    root = tmp_path_factory.mktemp("seven")
    for name in ["clip0.mp4", "clip1.webm", "clip2.gif", "clip3.mp4", "clip4.webm", "corrupt.mp4",
                 "short.mp4"]:
        for f in (dataset[0] / name, (dataset[0] / name).with_suffix(".txt")):
            shutil.copy(f, root / f.name)
    return root


@pytest.mark.parametrize("workers", [0, 2])
def test_each_epoch_counts_its_own_skips_when_workers_get_unequal_shares(seven_files, workers):
    # With unequal shares one worker starts epoch e+1 while the other still reads epoch e;
    # the shuffled order moves the bad files between workers, so some epochs would swap counts.
    logs = []
    batches = video_batches(f"videos:{seven_files}", get_world("default"), 5, workers=workers)
    batches.log = logs.append
    while batches.epochs_done < 6:
        next(batches)
    # the line is repeated only when an epoch's counts differ from the one before: never here
    assert logs == ["data: epoch 1 done; skipped files: too short 1, unreadable 1"]
    assert batches.report()["data_skipped_unreadable"] == batches.report()["data_skipped_too_short"] == 1


def test_training_on_real_clips_reports_skips_in_metrics(dataset, tmp_path, capsys):
    ck = train(TrainConfig(model="latent-flow", out=str(tmp_path / "run"), steps=6, batch_size=4,
                           overrides=TINY, data=f"videos:{dataset[0]}", log_every=1,
                           sample_every=10 ** 6))
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["data_epochs"] == 3 and rows[-1]["data_skipped_unreadable"] == 1
    assert "aux" not in rows[0]  # real clips have no labels
    err = capsys.readouterr().err
    assert "nocaption.mp4" in err and "epoch 1 done; skipped files: too short 1, unreadable 1" in err
    config = json.loads((ck / "config.json").read_text())
    assert config["train"]["data"].startswith("videos:")
    from tinyt2v.text.vocab import words

    captions = [i.text for i in list_items(dataset[0]).items]
    assert config["vocab"] == sorted({w for c in captions for w in words(c)})  # from the data
    # The world judge speaks only for world checkpoints: no verdict on generate, no fake 0% on eval.
    run = lambda *a: subprocess.run([sys.executable, "-m", "tinyt2v", *a, "--checkpoint", str(ck)],  # noqa: E731
                                    capture_output=True, text=True)
    r = run("generate", captions[0], "-o", str(tmp_path / "v.gif"))
    assert r.returncode == 0 and "the judge sees" not in r.stdout, r.stdout + r.stderr
    # the world's one object per clip binds world models only: footage may show several things
    noun = next(w for w in ("disc", "circle", "square", "star", "triangle") if w in config["vocab"])
    r = run("generate", f"two {noun}s", "-o", str(tmp_path / "v.gif"))
    assert r.returncode == 0 and "one object per clip" not in r.stderr, r.stderr
    r = run("eval", "-n", "4")
    assert r.returncode == 2 and "trained on videos:" in r.stderr and "--data videos:PATH" in r.stderr, r.stderr
    # ... and with clips to compare against: PSNR of its autoencoder, each clip beside a sample
    r = run("eval", "-n", "3", "--data", f"videos:{dataset[0]}", "--grid", str(tmp_path / "g.png"), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["n"] == 3 and report["captions"] == captions[:3] and 0 < report["psnr_db"] < 60
    from PIL import Image

    assert Image.open(tmp_path / "g.png").size[1] > 6 * 64  # 3 real rows + 3 sample rows
