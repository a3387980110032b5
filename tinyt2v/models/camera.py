"""A camera track measured from the pixels.

A clip filmed by a panning or zooming camera is one still image (the canvas, in the first
frame's coordinates and larger than the frame) seen through a window that moves. The window's
motion is measured here as sprite-flow measures an object's track: from the pixels, with no
labels and no learned encoder (Wang & Adelson 1994 estimate the same global motion before
they split layers):
- per pair of frames, the shift and zoom that best map one onto the other, by Gauss-Newton on
  brightness constancy (Lucas & Kanade, with the whole frame as the window), coarse to fine,
  each pixel weighed by how well the motion explains it (iteratively reweighted least squares):
  an object moving over the background does not drag the camera with it;
- composed from the first frame on, giving each frame's view as (x, y, log scale): frame t's
  point p shows the first frame's point exp(log scale) * p + (x, y), in [-1, 1] frame
  coordinates. A camera panning right has x growing; zooming in, log scale falling.
Where the light changes over a clip (`light_change`), the fit also takes each frame's gain and
offset, and `evened` brings every frame to the light of the brightest, for a still canvas.
`affine` turns a view into the matrix that affine_grid takes, so a renderer can draw it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

CAMERA = 3  # x, y, log scale
LIGHT = 2   # a frame's gain (less 1) and offset against another's, when the light may change
# Pyramid levels, coarse to fine: (downsampling factor, Gauss-Newton steps). The coarse levels
# catch shifts of several px cheaply; half resolution is as exact as a camera track needs
# (within 0.02 frame units of the footage benchmark's true pans) at a third of the full frame's cost.
LEVELS = ((4, 4), (2, 4))
# Brightness differences (in [-1, 1] units) from which a pixel's weight in the fit falls (the
# Cauchy weight 1 / (1 + (r / ROBUST)^2), as in robust global-motion estimation): what moves
# over the background (an object) disagrees with the camera's motion by far more than a
# textured background the motion explains, and is left out rather than averaged in.
ROBUST = 0.03
UNEXPLAINED = 0.2  # colour distance (in [-1, 1] units: 25 grey levels) from the background over
                   # which a pixel is left to other layers (object_layer's floor too)
STILL_MARGIN = 1.5  # how much more of a clip a still camera must leave unexplained than the
                    # measured motion for the motion to be kept (what each keeps on panning footage
                    # and on objects over still photographs: benchmarks/results/still_camera.md)


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, 1, H, W)."""
    r = max(1, int(2.5 * sigma))
    k = torch.exp(-(torch.arange(-r, r + 1, dtype=x.dtype, device=x.device) ** 2) / (2 * sigma * sigma))
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))


def affine(camera: torch.Tensor) -> torch.Tensor:
    """(N, 3) views -> (N, 2, 3) affine_grid matrices: p -> exp(ls) p + (x, y)."""
    s = camera[:, 2].exp()
    zero = torch.zeros_like(s)
    return torch.stack([torch.stack([s, zero, camera[:, 0]], -1),
                        torch.stack([zero, s, camera[:, 1]], -1)], 1)


def inverse(views: torch.Tensor) -> torch.Tensor:
    """Views (..., 3) -> the views that undo them: p -> (p - (x, y)) / exp(ls)."""
    scale = (-views[..., 2:]).exp()
    return torch.cat([-views[..., :2] * scale, -views[..., 2:]], -1)


def view_through(img: torch.Tensor, camera: torch.Tensor, size: tuple[int, int], padding: str = "border") -> torch.Tensor:
    """Images (N, C, H, W) seen through views (N, 3) of them (`affine`) at `size`."""
    grid = F.affine_grid(affine(camera), [img.shape[0], img.shape[1], *size], align_corners=False)
    return F.grid_sample(img, grid, align_corners=False, padding_mode=padding)


@torch.no_grad()
def pair_motion(a: torch.Tensor, b: torch.Tensor, start: torch.Tensor | None = None,
                levels: tuple[tuple[int, int], ...] = LEVELS, light: bool = False) -> torch.Tensor:
    """Grey images a (N, 1, H', W') and frames b (N, 1, H, W) -> (N, 3): the view of a that b
    shows (b(p) ~ a(s p + t)), from `start` (None: a itself). Gauss-Newton on the blurred
    images, the frame's interior only (the border has no neighbours). With `light`, b may also
    be lit otherwise (b(p) ~ (1 + gain) a(s p + t) + offset, fitted with the view and
    dropped: the light changing between frames is not read as a zoom)."""
    n = a.shape[0]
    cam = a.new_zeros(n, CAMERA) if start is None else start.clone()
    lit = a.new_zeros(n, LIGHT)  # gain - 1, offset
    free = CAMERA + LIGHT * light
    eye = 1e-6 * torch.eye(free, dtype=a.dtype, device=a.device)
    for factor, steps in levels:
        ab, bb = (_blur(F.avg_pool2d(x, factor) if factor > 1 else x, 1.0) for x in (a, b))
        h, w = bb.shape[2:]
        ys = (torch.arange(h, dtype=a.dtype, device=a.device) + 0.5) * 2 / h - 1
        xs = (torch.arange(w, dtype=a.dtype, device=a.device) + 0.5) * 2 / w - 1
        px, py = xs.view(1, 1, 1, w), ys.view(1, 1, h, 1)
        inner = ((px.abs() < 0.85) & (py.abs() < 0.85)).to(a.dtype)
        for _ in range(steps):
            aw = view_through(ab, cam, (h, w))
            gain = 1 + lit[:, :1, None, None]
            gx = (torch.roll(aw, -1, 3) - torch.roll(aw, 1, 3)) * (w / 4) * gain  # d/dx in frame units
            gy = (torch.roll(aw, -1, 2) - torch.roll(aw, 1, 2)) * (h / 4) * gain
            s = cam[:, 2].exp().view(n, 1, 1, 1)
            r = (gain * aw + lit[:, 1:, None, None] - bb) * inner
            weight = inner / (1 + (r / ROBUST).square())  # Cauchy: a pixel far off the fit counts little
            columns = [gx / s, gy / s, gx * px + gy * py] + ([aw, torch.ones_like(aw)] if light else [])
            jac = torch.cat(columns, 1)  # (N, free, H, W)
            hess = torch.einsum("nihw,njhw->nij", jac * weight, jac) + eye
            grad = (jac * weight * r).flatten(2).sum(-1)
            change = torch.linalg.solve(hess, grad)
            cam, lit[:, :free - CAMERA] = cam - change[:, :CAMERA], lit[:, :free - CAMERA] - change[:, CAMERA:]
    return cam


@torch.no_grad()
def measure_camera(video: torch.Tensor, light: bool = False) -> torch.Tensor:
    """video (B, T, 3, H, W) in [-1, 1] -> camera track (B, T, 3): each frame's view of the
    first frame (frame 0 is (0, 0, 0)). With `light`, the light may change from frame to frame
    (`pair_motion`); over a plain colour it is left off, as a glyph's growing is then partly
    fitted as the light changing."""
    b, t, _, h, w = video.shape
    grey = video.mean(2, keepdim=True)  # (B, T, 1, H, W)
    steps = pair_motion(grey[:, :-1].reshape(-1, 1, h, w), grey[:, 1:].reshape(-1, 1, h, w),
                        light=light).view(b, t - 1, CAMERA)
    track = [video.new_zeros(b, CAMERA)]
    for k in range(t - 1):  # compose: q0 = S_k (s_k p + t_k) + T_k
        prev, step = track[-1], steps[:, k]
        scale = prev[:, 2:].exp()
        track.append(torch.cat([prev[:, :2] + scale * step[:, :2], prev[:, 2:] + step[:, 2:]], 1))
    return torch.stack(track, 1)


def _in_first_view(video: torch.Tensor, camera: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips (B, T, C, H, W) brought back into their first frame's view by their camera tracks
    (B, T, 3), and which of those pixels each frame shows (B, T, 1, H, W)."""
    b, t, c, h, w = video.shape
    grid = F.affine_grid(affine(inverse(camera).reshape(b * t, CAMERA)), (b * t, c, h, w), align_corners=False)
    back = F.grid_sample(video.flatten(0, 1), grid, align_corners=False).view(b, t, c, h, w)
    return back, (grid.abs() <= 1).all(-1).view(b, t, 1, h, w)  # frame 0 shows every pixel


def _median(back: torch.Tensor, shown: torch.Tensor) -> torch.Tensor:
    """Per pixel (B, C, H, W), the median of the frames (B, T, C, H, W) that show it."""
    return torch.where(shown, back, torch.full_like(back, float("nan"))).nanmedian(1).values


@torch.no_grad()
def stabilised_median(video: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
    """Clips (B, T, 3, H, W) and their camera tracks (B, T, 3) -> (B, 3, H, W): every frame
    brought back into the first frame's view, and per pixel the median of the frames that show
    it. What stays put in the scene is left; an object that moves over it is gone wherever it
    leaves most frames (Wang & Adelson's stabilised background)."""
    return _median(*_in_first_view(video, camera))


@torch.no_grad()
def unexplained(video: torch.Tensor, camera: torch.Tensor, light: bool = False) -> torch.Tensor:
    """Clips (B, T, 3, H, W) and camera tracks (B, T, 3) -> (B,): the share of the pixels the
    frames show that are farther than UNEXPLAINED from the stabilised background, at half
    resolution (a share of the clip, not its edges: a quarter of the cost): what the camera's
    motion leaves to other layers. With `light`, each frame is first lit as the first frame is
    (`relit`; the first frame shows every pixel of its view, where the median of frames lit
    otherwise would be lit unevenly): the light changing over a clip is not something moving
    over it."""
    half = F.avg_pool2d(video.flatten(0, 1), 2).unflatten(0, video.shape[:2])
    back, shown = _in_first_view(half, camera)
    if light:
        back = relit(back, back[:, 0], shown)
    off = (back - _median(back, shown)[:, None]).square().sum(2, keepdim=True) > UNEXPLAINED ** 2
    return (off & shown).sum((1, 2, 3, 4)) / shown.sum((1, 2, 3, 4))


def relit(frames: torch.Tensor, like: torch.Tensor, shown: torch.Tensor) -> torch.Tensor:
    """Frames (B, T, C, H, W) each given the gain and offset per channel that best map the
    pixels it shows (`shown` (B, T, 1, H, W)) onto `like` (B, C, H, W), by least squares."""
    m = shown.to(frames.dtype)
    n = m.sum((3, 4), keepdim=True).clamp(min=1)
    fx, lx = (frames * m).sum((3, 4), keepdim=True) / n, (like[:, None] * m).sum((3, 4), keepdim=True) / n
    fz, lz = (frames - fx) * m, (like[:, None] - lx) * m
    gain = (fz * lz).sum((3, 4), keepdim=True) / fz.square().sum((3, 4), keepdim=True).clamp(min=1e-6)
    return (frames - fx) * gain + lx


@torch.no_grad()
def light_levels(video: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
    """Clips (B, T, 3, H, W) in [-1, 1] and camera tracks (B, T, 3) -> (B, T): each frame's light
    against the first frame's, as light scales pixels (from black, -1): the least-squares ratio
    of the frame's grey, brought back into the first frame's view, to the first frame's over the
    pixels the frame shows."""
    back, shown = _in_first_view(video.mean(2, keepdim=True) + 1, camera)
    first, m = back[:, :1], shown.to(video.dtype)
    return (back * first * m).sum((2, 3, 4)) / (first.square() * m).sum((2, 3, 4)).clamp(min=1e-6)


def light_change(video: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
    """(B,): how far each clip's light strays from its first frame's, as the largest |log| of a
    frame's `light_levels` (0.8 for a light fading to 0.45 of itself; near 0 for a camera over a
    photograph in steady light)."""
    return light_levels(video, camera).clamp(min=1e-3).log().abs().amax(1)


@torch.no_grad()
def evened(video: torch.Tensor, camera: torch.Tensor, above: float) -> torch.Tensor:
    """Clips (B, T, 3, H, W) whose light changes by more than `above` (`light_change`) with each
    frame brought to the light of its brightest frame (others as they are): what a still canvas
    can draw, the light change left for a residual layer."""
    levels = light_levels(video, camera).clamp(min=1e-3)
    even = ((video + 1) * (levels.amax(1, keepdim=True) / levels)[..., None, None, None] - 1).clamp(-1, 1)
    return torch.where((levels.log().abs().amax(1) > above)[:, None, None, None, None], even, video)


def keeps_motion(unexplained_still: torch.Tensor, unexplained_measured: torch.Tensor) -> torch.Tensor:
    """Whether a clip's measured motion is its background's (bool, per clip): it leaves at most
    1 / STILL_MARGIN as much of the clip unexplained as a still camera does."""
    return unexplained_still >= STILL_MARGIN * unexplained_measured


@torch.no_grad()
def background_camera(video: torch.Tensor, light: bool = False) -> torch.Tensor:
    """video (B, T, 3, H, W) -> the background's camera track (B, T, 3), for a model that has an
    object layer for what moves over it: the measured global motion (`measure_camera`) where
    `keeps_motion`, else none. Over a background with little texture (a window of sky) an object
    moving over it is most of what the fit sees and the measured motion follows the object,
    though the background's few edges then move: a still camera explains the clip about as
    well, and is the simpler reading. Over a plain colour with no edges at all nothing tells the
    two readings apart, and following the object explains the clip better: it is kept, and the
    canvas then holds the object (a plain background is what layer-flow learns without an object
    layer, the default `--data videos:` picks for it). `light` as `measure_camera` and
    `unexplained` take it."""
    camera = measure_camera(video, light)
    still = torch.zeros_like(camera)
    keep = keeps_motion(unexplained(video, still, light), unexplained(video, camera, light))
    return torch.where(keep[:, None, None], camera, still)
