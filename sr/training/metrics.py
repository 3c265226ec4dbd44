"""Image quality measures for reflectance images ``(C, H, W)`` against a reference.

- PSNR: peak 1.0 reflectance, over all bands and pixels.
- SSIM (Wang et al. 2004): Gaussian window 11 px, sigma 1.5, data range 1.0, mean over bands.
- SAM: mean spectral angle between per-pixel band vectors, in degrees.
- GMSD (Xue et al. 2014): gradient-magnitude similarity deviation with Prewitt filters on each
  band scaled so that reflectance 0.3 is 255, after the paper's 2 x 2 average downsampling,
  c = 170; mean over bands. Lower is better.
- Grid score: how much of the image's fine detail is a pattern fixed to the x4 pixel grid (the
  "dot texture" a learned upsampler can stamp on every 4 x 4 block). Each band is high-passed
  (image minus its 5 x 5 box mean); the high-pass is averaged over all pixels of the same phase
  (row % 4, col % 4); the RMS of those 16 phase means over the RMS of the high-pass, in percent.
  Real 10 m images and bicubic score 2-3 %. Not a comparison with a reference.

Real use (a real 10 m image enhanced x4, no degradation), on bands R, G, B first (B04, B03,
B02): no reference exists, so the output is compared with bicubic of the same input.
- Colour speckle: the chroma channels R - G and B - (R + G) / 2 minus their Gaussian blur
  (sigma 1.5 output px), RMS over the image less a 4 px border: coloured dots about one output
  pixel wide (a 10 m pixel is 4 output px). Divide by bicubic's for a ratio.
- Luminance noise in flat areas: the luminance (mean of R, G, B) minus its Gaussian blur
  (sigma 1.5), RMS over a mask of flat pixels (:func:`flat_mask` of the bicubic output: the
  third of the pixels with the lowest gradient of the blurred luminance), the same mask for
  every pipeline.

Cross-sensor fidelity (:func:`cross_sensor`) against a sharper image of the same ground from
another sensor (NAIP for Sentinel-2), on the same grid:
- registration: phase correlation of the luminances with an upsampled-DFT refinement to 0.05 px
  (Guizar-Sicairos et al. 2008), its frequencies weighted to what both sensors resolve (a
  Gaussian of :data:`S2_SIGMA`) and its search bounded to 8 output px (2 Sentinel-2 px);
- harmonisation: each band's gain and offset of the reference fitted to the output by least
  squares (the sensors' colours differ; opensr-test harmonises too), fitted at Sentinel-2's
  resolution;
- PSNR (peak 1.0 reflectance), PSNR after both are blurred to Sentinel-2's effective
  resolution (:data:`S2_SIGMA`), and the fine-detail correlation: Pearson's r of the two
  high-passes (minus a Gaussian blur of sigma 1.5 px), mean over bands.
- correctness, after opensr-test (Aybar et al. 2024; our implementation): where the output
  differs from bicubic of the same input or from the reference, is it closer to the reference
  than bicubic is (improvement), still bicubic (omission), or far from both (hallucination)?
  Per pixel, the L1 distances (mean over bands) ``d_ref`` bicubic-reference, ``d_im``
  output-reference and ``d_om`` output-bicubic, over the pixels where one of them exceeds the
  75th percentile of ``d_ref``; with ``im = d_im / d_ref``, ``om = d_om / d_ref``,
  ``h = im + om - 1`` and lambda 0.85: improvement ``im + om (1 - exp(-lambda h))``, omission
  ``om + im (1 - exp(-lambda h))``, hallucination ``exp(-lambda im om)``; each pixel is counted
  in the class whose score is lowest, and the shares are reported. Bicubic itself is 100 %
  omission.
A border of 8 px + the shift is left out of every score (wrap-around of the shift, blur edges).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


def psnr(x: np.ndarray, ref: np.ndarray) -> float:
    mse = float(np.mean((x.astype(np.float64) - ref) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))


def ssim(x: np.ndarray, ref: np.ndarray) -> float:
    g = torch.exp(-((torch.arange(11, dtype=torch.float64) - 5) ** 2) / (2 * 1.5**2))
    g = g / g.sum()
    win = (g[:, None] * g[None, :])[None, None]
    a, b = _t(x)[:, None], _t(ref)[:, None]

    def blur(v: torch.Tensor) -> torch.Tensor:
        return F.conv2d(v, win)

    c1, c2 = 0.01**2, 0.03**2
    ma, mb = blur(a), blur(b)
    va, vb, cov = blur(a * a) - ma**2, blur(b * b) - mb**2, blur(a * b) - ma * mb
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma**2 + mb**2 + c1) * (va + vb + c2))
    return float(s.mean())


def sam(x: np.ndarray, ref: np.ndarray) -> float:
    a, b = x.reshape(x.shape[0], -1).astype(np.float64), ref.reshape(ref.shape[0], -1)
    cos = (a * b).sum(0) / (np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0) + 1e-12)
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))).mean())


def gmsd(x: np.ndarray, ref: np.ndarray) -> float:
    px = torch.tensor([[1.0, 0, -1.0]] * 3, dtype=torch.float64) / 3
    kernels = torch.stack([px, px.T])[:, None]

    def grad(v: np.ndarray) -> torch.Tensor:
        t = F.avg_pool2d(_t(v)[:, None] * 255 / 0.3, 2)
        g = F.conv2d(t, kernels)
        return torch.sqrt((g**2).sum(1))

    ga, gb = grad(x), grad(ref)
    c = 170.0
    gms = (2 * ga * gb + c) / (ga**2 + gb**2 + c)
    return float(gms.flatten(1).std(dim=1).mean())


def grid_score(x: np.ndarray, period: int = 4) -> float:
    """Percent of the high-pass energy of ``(C, H, W)`` ``x`` that repeats every ``period``
    pixels (see the module docstring); NaN pixels are left out."""
    t = _t(np.nan_to_num(x))[:, None]
    valid = _t(np.isfinite(x).astype(np.float64))[:, None]
    box = torch.ones(1, 1, 5, 5, dtype=torch.float64) / 25
    high = (t - F.conv2d(t, box, padding=2))[:, 0, 2:-2, 2:-2]
    ok = (F.conv2d(valid, box, padding=2) > 1 - 1e-9)[:, 0, 2:-2, 2:-2]
    means, energy = [], []
    for band, keep in zip(high, ok, strict=True):
        # offset 2 from the crop keeps the phases aligned with the image's own grid
        phase = torch.zeros(period, period, dtype=torch.float64)
        for dy in range(period):
            for dx in range(period):
                sel = band[(dy - 2) % period :: period, (dx - 2) % period :: period]
                m = keep[(dy - 2) % period :: period, (dx - 2) % period :: period]
                phase[dy, dx] = sel[m].mean() if m.any() else 0.0
        means.append(float(phase.pow(2).mean()))
        energy.append(float(band[keep].pow(2).mean()) if keep.any() else 0.0)
    total = float(np.mean(energy))
    return 0.0 if total == 0 else 100 * float(np.sqrt(np.mean(means) / total))


#: Gaussian blur of the high-pass of the real-use and fine-detail measures, output px.
DETAIL_SIGMA = 1.5
#: Gaussian blur that takes a x4 output (2.5 m px) to Sentinel-2's effective resolution. The
#: sensor-like degradation of :mod:`sr.degrade` uses sigma 2 high-resolution px, whose
#: modulation transfer at the 10 m Nyquist frequency is 0.29, Sentinel-2's measured 0.2-0.3:
#: what two images share after this blur is what the satellite can see.
S2_SIGMA = 2.0


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Each ``(H, W)`` plane of ``x`` blurred by a Gaussian of ``sigma`` px (edges reflected)."""
    axes = (0,) * (x.ndim - 2) + (sigma, sigma)
    return np.asarray(ndimage.gaussian_filter(x.astype(np.float64), axes, mode="reflect"))


def _high_pass(x: np.ndarray, sigma: float = DETAIL_SIGMA) -> np.ndarray:
    out: np.ndarray = x.astype(np.float64) - _blur(x, sigma)
    return out


def _interior(x: np.ndarray, border: int, sigma: float = DETAIL_SIGMA) -> np.ndarray:
    """``(H, W)`` mask of the pixels of ``(C, H, W)`` ``x`` at least ``border`` px from its edge
    whose blur window (4 sigma) holds no NaN."""
    valid = np.isfinite(x).all(axis=0)
    reach = int(np.ceil(4 * sigma))
    inside = ndimage.binary_erosion(valid, np.ones((2 * reach + 1,) * 2), border_value=1)
    keep = np.zeros_like(valid)
    keep[border : x.shape[1] - border, border : x.shape[2] - border] = True
    out: np.ndarray = inside & keep
    if not out.any():
        raise ValueError(
            f"no pixel of the {x.shape[2]} x {x.shape[1]} px image lies {border} px from its edge "
            "and away from nodata: use a larger area"
        )
    return out


def _check_rgb(x: np.ndarray) -> None:
    if x.ndim != 3 or x.shape[0] < 3:
        raise ValueError(f"expected (C, H, W) with bands R, G, B first, not shape {x.shape}")


def chroma(x: np.ndarray) -> np.ndarray:
    """``(2, H, W)`` chroma channels R - G and B - (R + G) / 2 of ``(C, H, W)`` ``x`` (R, G, B
    first)."""
    _check_rgb(x)
    r, g, b = (x[i].astype(np.float64) for i in range(3))
    return np.stack([r - g, b - (r + g) / 2])


def luminance(x: np.ndarray) -> np.ndarray:
    """``(H, W)`` mean of R, G, B (the first three bands of ``(C, H, W)`` ``x``)."""
    _check_rgb(x)
    return np.asarray(x[:3].astype(np.float64).mean(axis=0))


def colour_speckle(x: np.ndarray, border: int = 4) -> float:
    """Colour speckle of a ``(C, H, W)`` reflectance output (R, G, B first): the RMS over both
    chroma channels (:func:`chroma`) of their high-pass (minus a Gaussian blur of sigma 1.5 px),
    ``border`` px from the edge and away from NaN. Reflectance units; divide by bicubic's."""
    keep = _interior(x[:3], border)
    high = _high_pass(np.nan_to_num(chroma(x)))
    return float(np.sqrt(np.mean(high[:, keep] ** 2)))


def flat_mask(x: np.ndarray, fraction: float = 1 / 3, border: int = 4) -> np.ndarray:
    """``(H, W)`` mask of the flat pixels of ``(C, H, W)`` ``x`` (R, G, B first; meant for the
    bicubic output, so that every pipeline is scored on the same pixels): the ``fraction`` of the
    interior pixels (:func:`colour_speckle`'s) with the lowest gradient magnitude of the blurred
    (sigma 1.5) luminance."""
    keep = _interior(x[:3], border)
    smooth = _blur(np.nan_to_num(luminance(x)), DETAIL_SIGMA)
    gy, gx = np.gradient(smooth)
    grad = np.hypot(gy, gx)
    limit = np.quantile(grad[keep], fraction)
    out: np.ndarray = keep & (grad <= limit)
    return out


def luminance_noise(x: np.ndarray, mask: np.ndarray) -> float:
    """RMS of the high-pass (minus a Gaussian blur of sigma 1.5 px) of the luminance of
    ``(C, H, W)`` ``x`` (R, G, B first) over the ``(H, W)`` ``mask`` (:func:`flat_mask`)."""
    high = _high_pass(np.nan_to_num(luminance(x)))
    if mask.shape != high.shape or not mask.any():
        raise ValueError(f"the mask of shape {mask.shape} selects no pixel of {high.shape}")
    return float(np.sqrt(np.mean(high[mask] ** 2)))


def _upsampled_dft(spec: np.ndarray, size: int, factor: int, offset: np.ndarray) -> np.ndarray:
    """The inverse DFT of ``spec`` on a ``size`` x ``size`` grid of 1/``factor`` px starting at
    ``-offset`` (matrix-multiply DFT of Guizar-Sicairos et al. 2008, as scikit-image's)."""
    out = spec
    for n, off in zip(spec.shape[::-1], offset[::-1], strict=True):
        kernel = np.exp(
            2j * np.pi * (np.arange(size) - off)[:, None] * np.fft.fftfreq(n, factor)[None, :]
        )
        out = np.tensordot(kernel, out, axes=(1, -1))
    return out


def register(
    moving: np.ndarray,
    ref: np.ndarray,
    upsample: int = 20,
    sigma: float = 0.0,
    max_shift: float | None = None,
) -> tuple[float, float]:
    """The ``(dy, dx)`` shift, in px to 1/``upsample``, that moves ``(H, W)`` ``moving`` onto
    ``ref`` (apply it with :func:`shift_image`).

    Phase correlation of the two Hann-windowed images, its peak refined by an upsampled DFT
    (Guizar-Sicairos et al. 2008, as scikit-image's ``phase_cross_correlation``). ``sigma`` > 0
    weights the frequencies by a Gaussian blur of ``sigma`` px, so that only what both images
    resolve counts (images of two sensors: the finer one's detail is noise to the other's);
    ``max_shift`` px bounds the search (an expected offset of a pixel or two: a farther peak
    is a false match).
    """
    if moving.shape != ref.shape:
        raise ValueError(f"cannot register {moving.shape} onto {ref.shape}: sizes differ")
    height, width = ref.shape
    window = np.outer(np.hanning(height), np.hanning(width))

    def spectrum(v: np.ndarray) -> np.ndarray:
        v = np.nan_to_num(v.astype(np.float64))
        return np.fft.fft2((v - v.mean()) * window)

    product = spectrum(ref) * spectrum(moving).conj()
    product /= np.maximum(np.abs(product), 1e-12)
    fy, fx = np.fft.fftfreq(height)[:, None], np.fft.fftfreq(width)[None, :]
    product *= np.exp(-2 * np.pi**2 * sigma**2 * (fy**2 + fx**2))
    corr = np.abs(np.fft.ifft2(product))
    sy, sx = np.fft.fftfreq(height, 1 / height), np.fft.fftfreq(width, 1 / width)  # lags
    if max_shift is not None:
        corr[(np.abs(sy)[:, None] > max_shift) | (np.abs(sx)[None, :] > max_shift)] = 0
    peak = np.unravel_index(np.argmax(corr), corr.shape)
    shift = np.array([sy[peak[0]], sx[peak[1]]], dtype=np.float64)
    size = int(np.ceil(upsample * 1.5))
    centre = np.fix(size / 2)
    fine = _upsampled_dft(product, size, upsample, centre - shift * upsample)
    best = np.unravel_index(np.argmax(np.abs(fine)), fine.shape)
    shift = shift + (np.array(best, dtype=np.float64) - centre) / upsample
    return float(shift[0]), float(shift[1])


def shift_image(x: np.ndarray, shift: tuple[float, float]) -> np.ndarray:
    """``(C, H, W)`` ``x`` moved by ``(dy, dx)`` px with a Fourier shift (it wraps around the
    edges: crop a border of at least the shift)."""
    return np.stack(
        [np.fft.ifft2(ndimage.fourier_shift(np.fft.fft2(band), shift)).real for band in x]
    )


def harmonise(ref: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """``(C, H, W)`` ``ref`` with each band's gain and offset fitted by least squares to
    ``target`` (same shape), over ``mask`` (all pixels when None).

    The fit is made on both images blurred to Sentinel-2's resolution (:data:`S2_SIGMA`): the
    detail one sensor sees and the other does not would otherwise pull the gain towards 0.
    """
    if ref.shape != target.shape:
        raise ValueError(f"cannot harmonise {ref.shape} to {target.shape}: shapes differ")
    keep = np.ones(ref.shape[1:], dtype=bool) if mask is None else mask
    a, b = _blur(ref, S2_SIGMA), _blur(target, S2_SIGMA)
    out = np.empty(ref.shape, dtype=np.float64)
    for i in range(ref.shape[0]):
        design = np.stack([a[i][keep], np.ones(int(keep.sum()))], axis=1)
        (gain, offset), *_ = np.linalg.lstsq(design, b[i][keep], rcond=None)
        out[i] = gain * ref[i] + offset
    return out


@dataclass(frozen=True)
class CrossSensor:
    """Fidelity of an output to a sharper image of the same ground (:func:`cross_sensor`).

    Attributes:
        psnr: dB, peak 1.0 reflectance, after registration and harmonisation.
        psnr_s2: dB, the same after both are blurred to Sentinel-2's resolution (sigma 2 px).
        detail: Pearson correlation of the high-pass (minus a Gaussian blur of sigma 1.5 px) of
            the output and of the reference, mean over bands (0: none of the fine detail is the
            reference's).
        shift: ``(dy, dx)`` px that moved the reference onto the output.
        improvement, omission, hallucination: shares of the changed pixels in each class of
            :func:`correctness` (NaN when no bicubic baseline was given).
    """

    psnr: float
    psnr_s2: float
    detail: float
    shift: tuple[float, float]
    improvement: float = float("nan")
    omission: float = float("nan")
    hallucination: float = float("nan")


#: opensr-test's calibration of the correctness scores.
CORRECTNESS_LAMBDA = 0.85


def correctness(
    sr: np.ndarray, baseline: np.ndarray, ref: np.ndarray, keep: np.ndarray
) -> tuple[float, float, float]:
    """Shares (improvement, omission, hallucination) of the pixels of ``(C, H, W)`` ``sr`` that
    differ from ``baseline`` (bicubic of the same input) or from ``ref`` (registered and
    harmonised), over the ``(H, W)`` mask ``keep`` (the module's docstring)."""
    d_ref = np.abs(baseline - ref).mean(0)
    d_im = np.abs(sr - ref).mean(0)
    d_om = np.abs(sr - baseline).mean(0)
    limit = np.quantile(d_ref[keep], 0.75)
    active = keep & (d_ref > 0) & ((d_ref > limit) | (d_im > limit) | (d_om > limit))
    im, om = d_im[active] / d_ref[active], d_om[active] / d_ref[active]
    fade = 1 - np.exp(-CORRECTNESS_LAMBDA * (im + om - 1))
    scores = np.stack([im + om * fade, om + im * fade, np.exp(-CORRECTNESS_LAMBDA * im * om)])
    shares = np.bincount(scores.argmin(0), minlength=3) / max(int(active.sum()), 1)
    return float(shares[0]), float(shares[1]), float(shares[2])


def shifted_interior(shape: tuple[int, ...], border: int, shift: tuple[float, float]) -> np.ndarray:
    """``(H, W)`` mask of the pixels ``border`` px + the shift (rounded up) from the edge: what
    :func:`shift_image`'s wrap-around leaves untouched.

    Raises:
        ValueError: nothing is left inside.
    """
    edge = border + int(np.ceil(max(abs(shift[0]), abs(shift[1]))))
    keep = np.zeros(shape, dtype=bool)
    keep[edge:-edge, edge:-edge] = True
    if not keep.any():
        raise ValueError(f"a {shape[1]} x {shape[0]} px image has nothing {edge} px inside")
    return keep


def register_reference(sr: np.ndarray, hr: np.ndarray, max_shift: float = 8) -> tuple[float, float]:
    """The ``(dy, dx)`` px that move a sharper reference ``hr`` of another sensor onto the
    ``(C, H, W)`` output ``sr`` (:func:`register` of the luminances, weighted to what both
    resolve, :data:`S2_SIGMA`, within ``max_shift`` px)."""
    return register(luminance(hr), luminance(sr), sigma=S2_SIGMA, max_shift=max_shift)


def cross_sensor(
    sr: np.ndarray,
    hr: np.ndarray,
    border: int = 8,
    shift: tuple[float, float] | None = None,
    baseline: np.ndarray | None = None,
) -> CrossSensor:
    """Score a ``(C, H, W)`` reflectance output ``sr`` against ``hr``, a sharper image of the
    same ground on the same grid from another sensor (same shape; any linear scale per band).

    The reference is moved onto the output by ``shift`` (default: :func:`register_reference`
    of this output; pass one shift to score several outputs of one input on the same pixels)
    with :func:`shift_image`; its bands are harmonised to the output's (:func:`harmonise`);
    all scores are taken ``border`` px + the shift (rounded up) from the edge, so that neither
    the wrap-around of the shift nor the blurs' edges count. With ``baseline`` (bicubic of the
    same input, same shape), the :func:`correctness` shares too.
    """
    if sr.shape != hr.shape:
        raise ValueError(f"output {sr.shape} and reference {hr.shape} differ in shape")
    out = np.nan_to_num(sr.astype(np.float64))
    if shift is None:
        shift = register_reference(out, hr)
    moved = shift_image(np.nan_to_num(hr.astype(np.float64)), shift)
    keep = shifted_interior(sr.shape[1:], border, shift)
    ref = harmonise(moved, out, keep)
    err = float(np.mean((out[:, keep] - ref[:, keep]) ** 2))
    err_s2 = float(np.mean((_blur(out, S2_SIGMA)[:, keep] - _blur(ref, S2_SIGMA)[:, keep]) ** 2))
    hi_out, hi_ref = _high_pass(out), _high_pass(ref)
    detail = float(
        np.mean([np.corrcoef(hi_out[i][keep], hi_ref[i][keep])[0, 1] for i in range(sr.shape[0])])
    )
    shares = (
        correctness(out, np.nan_to_num(baseline.astype(np.float64)), ref, keep)
        if baseline is not None
        else (float("nan"),) * 3
    )
    return CrossSensor(
        psnr=10 * float(np.log10(1 / err)),
        psnr_s2=10 * float(np.log10(1 / err_s2)),
        detail=detail,
        shift=shift,
        improvement=shares[0],
        omission=shares[1],
        hallucination=shares[2],
    )


METRICS = {"PSNR": psnr, "SSIM": ssim, "SAM": sam, "GMSD": gmsd}
