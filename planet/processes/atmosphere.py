"""Atmosphere stage (spec §6): water vapour, the CO2 anomaly and wind-particle trails.

All three move with the wind ``v`` of the climate stage (climate-map cells
per step, clamped to ``|v| ≤ wind_max = 1``), which displaces them by
``v · W / 512`` full-resolution cells per step: the reference's displacement
at 512 columns and the same displacement in degrees at any resolution.

**Vapour** ``w ∈ [0, 3]``, per cell and step, in this order:

    w ← w_prev(x − v)                                    semi-Lagrangian, bilinear
    w += 0.08 n (1 − smoothstep(15, 25, t))              early oceans
    w += e = n clamp(T + 2, 0, 100)/32 (0.075 − 3 div v − 0.0045 (p − 1012))   ocean only (h = 0);
                                                         where e < 0, sea_uptake · e (1, the spec)
    w += r G(m, T) rain_prev                             land only: recycling (r = transpiration = 0.5)
    w −= (0.005 + k max(−div v_r, 0)) w                   precipitation, and rain-out of rising air
                                                         (k = convergence_rain = 1; v_r = v unless heat_low_rain < 1)
    w −= 0.3 ((1 − a) |∇h| + a max(v·∇h, 0))              orographic lift (a = upslope = 1; 0: the spec)
    w ← clamp(w, 0, 3)
    rain = (w before the sinks) − w                      diagnostic: what fell this step

**Rain shadows and recycling** (``upslope = 1``, ``transpiration = 0.5`` by default; both at 0 give
the spec back). Both answer the same fault: since rising air rains out (below), little vapour got
past the coasts, and at 256 columns only 9 % of a generated world's land had vapour ≥ 0.01 (16 %
before that fix): tan continents, and humanity, which settles only wet land, barely spread.

* ``upslope`` (``a``): the spec's orographic sink removes ``0.3 |∇h|`` per step on any slope, whatever
  the wind, so even a gentle coastal rise empties the air within a few steps and no rain reaches an
  interior. Air is lifted where the wind blows up the slope: with ``a = 1`` the sink is
  ``0.3 max(v·∇h, 0)`` (``v`` the clamped wind, ``|v| ≤ 1``, so never more than the spec's), which
  wets windward slopes and leaves the lee dry: rain shadows.
* ``transpiration`` (``r``): the rain that fell on land last step (``rain_prev``), times the plant
  growth ``G(m, T)`` of ``planet.processes.life``, evaporates again (evapotranspiration: about half
  of the Amazon's rain is recycled this way). It adds no water of its own; it lets rain travel
  further inland.

Seed 0 at 256 columns, run from t = 130 to 170 s, share of land with vapour ≥ 0.01 / soil moisture
> 4.9 / settled: 9.2 / 18.3 / 9.1 % (the spec's sinks, rain not reaching the soil), 9.2 / 22.6 / 13.2 %
(the rain wets the soil, ``planet.processes.life``), 17.6 / 37.6 / 22.7 % (and ``upslope``),
20.7 / 41.5 / 26.0 % (and ``transpiration``: the defaults).

**Rain** (a diagnostic field, vapour units per step, ≥ 0) is the vapour the
sinks took out of a cell this step: precipitation, orographic lift and the
excess over ``vapour_max``. The climate classification
(``planet.analysis.koppen``) reads it as precipitation.

**The divergence** ``div v`` is that of the clamped wind by central differences on the climate map,
blurred with a Gaussian of σ = ``sigma_divergence_deg`` (6°; ``blur``, area-true). The spec reads the
point divergence and has no convergence rain-out (``sigma_divergence_deg = 0``, ``convergence_rain = 0``
give it back exactly). With it, the equatorial trough, one climate row wide, where the wind converges
from both sides at the clamped speed and the meridional wind is zero, concentrated the source into
that line and held the vapour there: it sat at ``vapour_max`` in a band of two to four rows, a white
stripe along the equator on every satellite map and globe (``tests/test_itcz.py``: 98 % of an
equatorial row saturated on a water world). Smoothed, the convergence spreads over ±10°, and where the
air rises it rains: at the convergence line the vapour settles at
``source / (0.005 + 1.0 · convergence) ≈ 3 n (T + 2)/32``, proportional to the noise ``n``, so the band
is broad and broken (no row saturated, half-maximum width 20° on the water world).

**Vapour inland on Earth**: ``sea_uptake``, ``heat_low_rain``, ``convergence_per_step``, ``subsidence``,
``lift_smoothing_deg``, ``orographic_scale`` and ``eddy_mixing_deg`` (the eddies blur the vapour after the
advection) keep the reference's sinks by default; ``planet.earth`` sets them: ``planet.processes.inland``.

with ``n = clamp(3 fbm(5u, 5v, t) − 1, 0, 1)`` (``u, v`` the map's unit
coordinates), ``h = 0.4 max(0, z − D)`` and ``|∇h|`` by central differences
per 512-column cell. The sources are smooth climate quantities, so they are
computed on the climate map (``planet.processes.climate``) and sampled bilinearly; the
ocean test is per full cell. fBM noise is costly, so ``n`` is evaluated at
time slices ``k · noise_interval`` and blended linearly in between (a pure
function of ``t``: bit-identical after a restore). The full-resolution advection, sources and sinks
run as one pass per row (``planet.processes.vapour``).

**CO2 anomaly** ``c ∈ [0, 3]`` (displayed ppm = 377 + 3c): advected the same
way, then ``+0.015 · humans`` where people live (from CO2 start on) and
``−0.01 · G(m, T)`` elsewhere, sea included (``G`` the plant growth of
``planet.processes.life``; humans and moisture are the previous step's). While the
anomaly is zero everywhere and nobody emits, it stays exactly zero and its
advection is skipped.

**Trails** ``τ ∈ [0, 1]`` for the flow view: a field of particle heads and
their fading trails. A cell with ``τ = 1`` holds a particle head. Each step
every trail fades (``τ ← 0.96 τ``, the head's old cell included); each head
dies with probability 8e-3, else moves by ``v · W/512`` cells, rounded
stochastically per axis (so its mean motion is exactly the wind), and marks
its new cell 1; and new heads are born with probability 1e-4 per cell
(drawn by geometric skipping, about one draw per row). Heads merging in a
cell merge. The result: streaks that follow the wind and fade behind their
heads. Every draw is a pure function of (seed, step, cell).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from planet.processes.climate import box_average, climate_map, wind
from planet.processes.climate.blur import BlurMemo
from planet.processes.inland import LiftRelief, eddy_mix
from planet.core.fields import owned_by
from planet.core.noise import fbm_row, seed_offset
from planet.core.timeline import smoothstep
from planet.processes.sampling import _bilinear, _interior_sample, _interior_weights
from planet.processes.vapour import divergence as _divergence, vapour_step
from planet.processes.trails import _trails, trails_step  # noqa: F401 (the stage's trails; trails_step re-exported)
from planet.processes.zeros import KeptZeros, zero_bits

f32 = np.float32

_NO_CO2 = np.zeros((0, 1), dtype=np.float32)      # ``vapour_step``'s ``c_out`` when the CO2 is known 0 (not written)


# ---------------------------------------------------------------------------
# Semi-Lagrangian advection

def advect(field: np.ndarray, wind_u: np.ndarray, wind_v: np.ndarray, scale: float = 1.0,
           wind_max: float = 1.0) -> np.ndarray:
    """One semi-Lagrangian step: ``out(x) = field(x − scale · v(x))``, bilinear.

    ``v = (wind_u, wind_v)`` is east/north in cells × ``1/scale`` per step,
    clamped to ``|v| ≤ wind_max``; wraps in longitude, reflects over the poles.
    """
    field = np.ascontiguousarray(field, dtype=np.float32)
    if np.shape(wind_u) != field.shape or np.shape(wind_v) != field.shape:
        raise ValueError(f"wind_u and wind_v must have the field's shape {field.shape}")
    return _advect_pair(field, field, np.ascontiguousarray(wind_u, dtype=np.float32),
                        np.ascontiguousarray(wind_v, dtype=np.float32), f32(scale), f32(wind_max), False)[0]


# ---------------------------------------------------------------------------
# Vapour and CO2 sources on the climate map

@njit(cache=True, nogil=True, parallel=True)
def _noise_slice(Hc, Wc, t, ox, oy, oz):
    """``n = clamp(3 fbm(5u, 5v, t) − 1, 0, 1)`` on the climate map."""
    out = np.empty((Hc, Wc), dtype=np.float32)
    px = np.empty(Wc, dtype=np.float32)         # the same along every row (read only below)
    for i in range(Wc):
        px[i] = f32(5.0) * ((f32(i) + f32(0.5)) / f32(Wc)) + ox
    pz = np.full(Wc, t + oz, dtype=np.float32)
    for j in prange(Hc):
        v = (f32(j) + f32(0.5)) / f32(Hc)
        n = np.empty(Wc, dtype=np.float32)
        fbm_row(px, np.full(Wc, f32(5.0) * v + oy, dtype=np.float32), pz, n)
        for i in range(Wc):     # (fbm's bits, a row at a time: ``fbm_row``)
            out[j, i] = min(max(f32(3.0) * n[i] - f32(1.0), f32(0.0)), f32(1.0))
    return out


@njit(cache=True, nogil=True, parallel=True)
def _sources(noise_a, noise_b, frac, pressure, temperature, div, rain_div, early, evaporation, k_div, k_p, k_rain,
             sea_uptake, subsidence):
    """``(3, Hc, Wc)``: the source everywhere, the extra source over the ocean (where negative, times
    ``sea_uptake``) and the rate at which rising air rains vapour out, ``k_rain · max(−rain_div, 0)``, less
    ``k_rain · subsidence · max(rain_div, 0)`` (``div`` the smoothed divergence, ``rain_div`` the raining wind's).
    The noise ``n`` is blended here from its two slices, ``noise_a (1 − frac) + noise_b frac`` in float32 (the
    NumPy expression's value), as it is read."""
    H, W = noise_a.shape
    out = np.empty((3, H, W), dtype=np.float32)
    g = f32(1.0) - frac
    for j in prange(H):
        for i in range(W):
            n = noise_a[j, i] * g + noise_b[j, i] * frac
            T = min(max(temperature[j, i] + f32(2.0), f32(0.0)), f32(100.0))
            d = div[j, i]
            out[0, j, i] = early * n
            e = n * T / f32(32.0) * (evaporation - k_div * d - k_p * (pressure[j, i] - f32(1012.0)))
            out[1, j, i] = e if e >= f32(0.0) else sea_uptake * e
            # rising air rains out; sinking air (subsidence > 0) holds back the background rain-out (inland.py)
            out[2, j, i] = k_rain * (max(-rain_div[j, i], f32(0.0)) - subsidence * max(rain_div[j, i], f32(0.0)))
    return out


# ---------------------------------------------------------------------------
# The full-resolution vapour and CO2 step

@njit(cache=True, nogil=True, inline="always")
def _departure(u, v, vmax, vmax2, scale, j, i):
    """Departure point ``x − v`` (row, column) with ``|v|`` clamped to ``vmax``."""
    s2 = u * u + v * v
    k = f32(1.0)
    if s2 > vmax2:
        k = vmax / np.sqrt(s2)
    dy = v * k * scale
    dx = u * k * scale
    if not (abs(dy) <= f32(1e6) and abs(dx) <= f32(1e6)):   # NaN/inf wind: no float becomes an index
        dy = f32(0.0)
        dx = f32(0.0)
    return f32(j) + dy, f32(i) - dx


@njit(cache=True, nogil=True, parallel=True)
def _advect_pair(a, b, wind_u, wind_v, scale, vmax, pair):
    """Semi-Lagrangian step of one field (``pair`` false: ``b`` is ignored) or two with the same
    departure points (bilinear)."""
    H, W = a.shape
    a_out = np.empty((H, W), dtype=np.float32)
    b_out = np.empty((H, W), dtype=np.float32)
    vmax2 = vmax * vmax
    reach = min(np.int64(np.ceil(vmax * scale)) + 1, H)   # rows this close to a pole may sample over it
    for j in prange(H):
        if j < reach or j >= H - reach:
            for i in range(W):
                y, x = _departure(wind_u[j, i], wind_v[j, i], vmax, vmax2, scale, j, i)
                a_out[j, i] = _bilinear(a, y, x, H, W)
                if pair:
                    b_out[j, i] = _bilinear(b, y, x, H, W)
            continue
        for i in range(W):
            y, x = _departure(wind_u[j, i], wind_v[j, i], vmax, vmax2, scale, j, i)
            r0, c0, c1, w00, w01, w10, w11 = _interior_weights(y, x, W)
            a_out[j, i] = _interior_sample(a, r0, c0, c1, w00, w01, w10, w11)
            if pair:
                b_out[j, i] = _interior_sample(b, r0, c0, c1, w00, w01, w10, w11)
    if not pair:
        b_out[:] = 0.0
    return a_out, b_out


# ---------------------------------------------------------------------------
# The stage

class AtmosphereStage:
    """Water vapour, CO2 anomaly and wind-particle trails (spec §6)."""

    name = "atmosphere"
    reads = ("elevation", "pressure", "temperature", "wind_u", "wind_v", "vapour", "co2", "trails", "rain",
             "humans", "moisture")
    writes = owned_by("atmosphere")

    def __init__(self):
        self._noise: dict = {}
        self._relief = LiftRelief()
        self._zero_co2 = KeptZeros()   # the CO2, while it is 0 everywhere and not written
        # the divergences' blurs: in the months when the season stands still the wind changes only where the
        # terrain did, and the blur redoes only the rows that reach a changed one
        self._blur_div, self._blur_rain_div = BlurMemo(), BlurMemo()
        self._divs = None      # (climate-map fields, config, (div, rain_div)): the climate's are kept between
                               # two lithosphere steps (the same dict), and so are their divergences

    def initial(self, grid, config, seed, fields):
        zeros = np.zeros(grid.shape, dtype=np.float32)
        return {"vapour": zeros, "co2": zeros.copy(), "trails": zeros.copy(), "rain": zeros.copy()}

    def noise_slices(self, shape, seed: int, t: float, interval: float):
        """``n`` at time ``t`` as ``(slice k, slice k + 1, frac)``: ``n`` is linear between the slices at
        ``k·interval`` and ``(k+1)·interval``, ``slice k (1 − frac) + slice k + 1 · frac`` (``_sources`` blends
        them as it reads them)."""
        k = math.floor(t / interval)
        frac = f32(t / interval - k)
        slices = []
        for kk in (k, k + 1):
            key = (shape, seed, interval, kk)
            if key not in self._noise:
                off = seed_offset(seed)
                self._noise[key] = _noise_slice(shape[0], shape[1], f32(kk * interval), off[0], off[1], off[2])
                while len(self._noise) > 3:
                    self._noise.pop(next(iter(self._noise)))
            slices.append(self._noise[key])
        return slices[0], slices[1], frac

    def _divergences(self, coarse, p, u, v, vmax, cmap, cfg, cc):
        """The smoothed divergence of the climate's wind, and that of the raining wind (the same unless
        ``heat_low_rain`` < 1)."""
        div = _divergence(u, v, vmax)
        heat = coarse.get("heat_low") if coarse is not None else None
        dry_heat_low = cfg.heat_low_rain < 1.0 and heat is not None
        if dry_heat_low:
            # the rain-out reads the convergence without (1 − heat_low_rain) of the continental heat low
            ud, vd = wind(p - f32(1.0 - cfg.heat_low_rain) * heat, cmap.lat, cc.coriolis, cc.wind_max)
            rain_div = _divergence(ud, vd, vmax)
        else:
            rain_div = div
        if cfg.sigma_divergence_deg > 0:
            div = self._blur_div(div, cfg.sigma_divergence_deg, cmap.cell_deg, cmap.row_area)
            rain_div = (self._blur_rain_div(rain_div, cfg.sigma_divergence_deg, cmap.cell_deg, cmap.row_area)
                        if dry_heat_low else div)
        return div, rain_div

    def advance(self, fields, ctx):
        cfg = ctx.config.atmosphere
        vmax = f32(ctx.config.climate.wind_max)
        grid = ctx.grid
        H, W = grid.shape
        cmap = climate_map(H, W)
        coarse = ctx.scratch.get("climate")
        if coarse is not None:
            p, T, u, v = coarse["pressure"], coarse["temperature"], coarse["wind_u"], coarse["wind_v"]
        else:  # climate switched off: the frozen full-resolution fields, coarsened
            p, T, u, v = (box_average(fields[k], cmap.factor) for k in ("pressure", "temperature", "wind_u", "wind_v"))
        t = ctx.time
        n_a, n_b, n_frac = self.noise_slices(cmap.shape, ctx.seed, t, cfg.noise_interval)
        sched = ctx.config.schedule
        early = cfg.early_ocean_source * (1.0 - smoothstep(sched.ocean_start, sched.ocean_end, t))
        if coarse is not None and self._divs is not None and self._divs[0] is coarse and self._divs[1] is ctx.config:
            div, rain_div = self._divs[2]
        else:
            div, rain_div = self._divergences(coarse, p, u, v, vmax, cmap, cfg, ctx.config.climate)
            self._divs = (coarse, ctx.config, (div, rain_div))
        # the divergence of the air's motion per step: the wind moves v·W/512 full cells = v·W/(512 f) climate cells
        per_step = W / (512.0 * cmap.factor)
        k_rain = cfg.convergence_rain * (1.0 + cfg.convergence_per_step * (per_step - 1.0))
        k_div = cfg.evaporation_divergence * (1.0 + cfg.evaporation_per_step * (per_step - 1.0))
        src = _sources(n_a, n_b, n_frac, p, T, div, rain_div, f32(early), f32(cfg.evaporation), f32(k_div),
                       f32(cfg.evaporation_pressure), f32(k_rain), f32(cfg.sea_uptake), f32(cfg.subsidence))
        scale = f32(W / 512.0)
        emission = cfg.co2_emission if t >= sched.co2_start else 0.0
        # CO2 stays exactly 0 until someone emits: skip its advection and sources until then
        co2_any, co2_plus_zero = zero_bits(fields["co2"])
        with_co2 = emission > 0.0 or co2_any
        wind_u, wind_v = fields["wind_u"], fields["wind_v"]
        vapour, co2 = fields["vapour"], fields["co2"]
        advect = cfg.eddy_mixing_deg <= 0     # else the vapour is advected and mixed first (inland.py)
        if not advect:
            vapour, co2 = _advect_pair(vapour, co2, wind_u, wind_v, scale, vmax, with_co2)
            vapour = eddy_mix(vapour, cfg.eddy_mixing_deg, grid.area)   # transient eddies
        shape = vapour.shape
        w_out, rain = np.empty(shape, f32), np.empty(shape, f32)
        if with_co2:
            c_out = c_arg = np.empty(shape, f32)
        else:   # all 0 and nothing emits: the zeros this stage returned last time are returned again, not written
            c_out = self._zero_co2(fields["co2"], co2_plus_zero, shape)
            c_arg = _NO_CO2
        rain_before = fields.get("rain")
        relief = self._relief(fields["elevation"], ctx.sea_level, cfg.lift_smoothing_deg, grid.area)
        vapour_step(vapour, co2, advect, w_out, c_arg, rain, np.zeros(shape, f32) if rain_before is None else rain_before,
                    fields["elevation"], relief, fields["humans"], fields["moisture"], fields["temperature"],
                    wind_u, wind_v, src, cmap.row0, cmap.row1, cmap.row_w, cmap.col0, cmap.col1, cmap.col_w,
                    f32(ctx.sea_level), scale, f32(cfg.precipitation), f32(cfg.orographic),
                    f32(cfg.vapour_max), f32(emission), f32(cfg.co2_uptake), f32(cfg.co2_max), with_co2,
                    f32(cfg.transpiration if t >= sched.ocean_end else 0.0), f32(cfg.upslope), vmax,
                    f32(cfg.orographic_scale), co2_plus_zero and advect, early == 0.0)
        trails = _trails(fields["trails"], fields["wind_u"], fields["wind_v"], scale, vmax, f32(cfg.trail_fade),
                         f32(cfg.particle_death), float(cfg.particle_birth), int(ctx.seed), int(ctx.step))
        return {"vapour": w_out, "co2": c_out, "trails": trails, "rain": rain}
