"""Köppen–Geiger climate classes of a world, from the model's own monthly climate.

    classes = planet.koppen(world, years=1)      # xarray.DataArray (lat, lon) of "Af", "BWh", "Cfb", ... ("" at sea)
    shares = group_shares(classes)               # {"A": 0.19, "B": 0.30, ...}: area-weighted shares of land

``climatology(world, years)`` steps the world through ``years`` model years
(a year is ``config.climate.year`` = 24 film seconds = 1440 steps) and
averages each calendar month: month ``k`` holds the steps whose film time has
``floor((12 t / year) mod 12) = k`` (0 = January: the season ``s = +1`` is
northern winter, spec §5). A world whose vapour is still all zero (freshly
made by ``from_heightmap`` or ``planet.earth``) is first spun up for
``spinup`` years (default 1/4 when it is fresh, else 0) so that the vapour has
reached the continents before months are counted.

**Temperature** is the model's surface temperature ``T`` (°C, the climate
stage). **Precipitation** is the model's ``rain`` field (the atmosphere
stage's diagnostic: the vapour the sinks — rain-out ``0.005 w``, the rain-out
of rising air, orographic lift and saturation — remove from a cell per step: the rain that
falls), summed over each month and turned into millimetres by one constant,
``MM_PER_RAIN = 65`` mm per vapour unit. That constant is a calibration
against one independent number, not against the classes: it was chosen so
that the model's mean precipitation over Earth's land (``planet.earth``,
Antarctica included) is near Earth's, about 750 mm a year (Legates & Willmott
1990), at 128 columns with the Earth settings of ``planet.io.earth`` (747 mm, 720 at 512 columns).
It was 44 until the evaporation read the divergence per step (``planet.processes.inland``), which
made the rain the same at 128 and 512 columns (it had been 732 and 511 mm with 44); before that, 60
until the sea stopped absorbing vapour and heat lows stopped raining, and 155 before rising air
rained out. The values measured at 128 and 512 columns are in the README. Vapour is a model unit; no other conversion is implied.

**Classes** follow Peel, Finlayson & McMahon (2007), Table 1, with ``MAT``
the annual mean temperature, ``MAP`` the annual precipitation (mm),
``Thot``/``Tcold`` the warmest/coldest month, ``Tmon10`` the number of months
above 10 °C, summer the warmer of (Apr–Sep, Oct–Mar), ``Psdry``/``Pswet``
(``Pwdry``/``Pwwet``) the driest/wettest summer (winter) month and ``Pdry`` the
driest month:

    E   Thot < 10                    ET  Thot > 0,  EF  Thot ≤ 0
    B   MAP < 10 Pth                 BW  MAP < 5 Pth, else BS;  h  MAT ≥ 18, else k
        Pth = 2 MAT (≥ 70 % of MAP in winter), 2 MAT + 28 (≥ 70 % in summer), else 2 MAT + 14
    A   Tcold ≥ 18                   Af  Pdry ≥ 60;  Am  Pdry ≥ 100 − MAP/25;  else Aw
    C   Thot > 10, 0 < Tcold < 18    D   Thot > 10, Tcold ≤ 0
        s  Psdry < 40 and Psdry < Pwwet/3;  w  Pwdry < Pswet/10;  else f
        a  Thot ≥ 22;  b  Tmon10 ≥ 4;  c  1 ≤ Tmon10 < 4;  d (D only)  Tcold < −38

E is tested first, then B, then A, C, D. The class is computed over land
(``z > D``) only; sea cells get ``""``.
"""
from __future__ import annotations

import numpy as np

#: mm of precipitation per unit of vapour removed (calibration: see the module docstring)
MM_PER_RAIN = 65.0

GROUPS = ("A", "B", "C", "D", "E")

#: every class, with its conventional colour (Peel et al. 2007, Fig. 1 / Beck et al. 2018)
COLOURS = {
    "Af": (0, 0, 255), "Am": (0, 120, 255), "Aw": (70, 170, 250),
    "BWh": (255, 0, 0), "BWk": (255, 150, 150), "BSh": (245, 165, 0), "BSk": (255, 220, 100),
    "Csa": (255, 255, 0), "Csb": (200, 200, 0), "Csc": (150, 150, 0),
    "Cwa": (150, 255, 150), "Cwb": (100, 200, 100), "Cwc": (50, 150, 50),
    "Cfa": (200, 255, 80), "Cfb": (100, 255, 80), "Cfc": (50, 200, 0),
    "Dsa": (255, 0, 255), "Dsb": (200, 0, 200), "Dsc": (150, 50, 150), "Dsd": (150, 100, 150),
    "Dwa": (170, 175, 255), "Dwb": (90, 120, 220), "Dwc": (75, 80, 180), "Dwd": (50, 0, 135),
    "Dfa": (0, 255, 255), "Dfb": (55, 200, 255), "Dfc": (0, 125, 125), "Dfd": (0, 70, 95),
    "ET": (178, 178, 178), "EF": (102, 102, 102),
}
CLASSES = tuple(COLOURS)


def _check_years(years, name="years"):
    if isinstance(years, bool) or not isinstance(years, (int, float)) or not np.isfinite(years) or years < 1:
        raise ValueError(f"{name} must be a number of model years >= 1 (every month needs samples), got {years!r}")
    return float(years)


def climatology(world, years: float = 1, spinup: float | None = None, progress: bool = False):
    """Monthly means over ``years`` model years of stepping ``world`` (which advances): an
    ``xarray.Dataset`` with ``month`` (1–12), ``lat``, ``lon`` and the variables ``temperature`` (°C),
    ``precipitation`` (mm per month), ``pressure`` (hPa), ``wind_u``, ``wind_v`` (east/north, climate
    cells per step), plus ``land`` (bool, lat × lon). ``progress``: progress bars on stderr."""
    import xarray as xr

    years = _check_years(years)
    st = world.state
    for need in ("temperature", "pressure", "wind_u", "wind_v", "vapour", "elevation"):
        if need not in st:
            raise ValueError(f"planet.koppen needs the climate and atmosphere fields; this world has no {need!r}")
    if "climate" not in world.stages or "atmosphere" not in world.stages:
        raise ValueError(f"planet.koppen needs a world that runs the climate and atmosphere stages; this one runs "
                         f"{', '.join(world.stages) or 'none'}")
    year = world.config.climate.year
    fps = world.timeline.fps
    if spinup is None:
        spinup = 0.25 if not st["vapour"].any() else 0.0
    if spinup:
        world.run(world.time + float(spinup) * year, progress=progress)
    H, W = st.shape
    sums = {k: np.zeros((12, H, W)) for k in ("temperature", "pressure", "wind_u", "wind_v")}
    rain = np.zeros((12, H, W))
    counts = np.zeros(12)

    def record(state):
        t = state.time
        m = int(np.floor((t * 12.0 / year) % 12.0)) % 12
        for k in sums:
            sums[k][m] += state[k]
        if "rain" in state:
            rain[m] += state["rain"]
        counts[m] += 1

    steps = int(round(years * year * fps))
    world.step(steps, on_step=record, progress=progress)
    if (counts == 0).any():
        raise ValueError("a month got no samples; use whole years")
    steps_per_month = year * fps / 12.0
    # rain per step, averaged over each month's steps, times the steps of a month
    precip = rain / counts[:, None, None] * steps_per_month * MM_PER_RAIN
    grid = world.grid
    coords = {"month": np.arange(1, 13), "lat": grid.lat, "lon": grid.lon}
    D = world.timeline.sea_level(world.time)
    land = world.state["elevation"] > np.float32(D)
    data = {k: (("month", "lat", "lon"), (v / counts[:, None, None]).astype(np.float32)) for k, v in sums.items()}
    data["precipitation"] = (("month", "lat", "lon"), precip.astype(np.float32))
    data["land"] = (("lat", "lon"), land)
    ds = xr.Dataset(data, coords=coords)
    ds["temperature"].attrs["units"] = "degC"
    ds["precipitation"].attrs.update(units="mm/month", comment=f"rain field x {MM_PER_RAIN} mm per vapour unit")
    ds.attrs.update(years=years, start_time=world.time - steps / fps, end_time=world.time)
    return ds


def classify(temperature: np.ndarray, precipitation: np.ndarray, land: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Köppen–Geiger codes (``<U3``, ``""`` where not land) from monthly ``temperature`` (°C) and
    ``precipitation`` (mm/month), each ``(12, H, W)`` January first, a ``land`` mask ``(H, W)`` and the
    row latitudes ``lat`` (degrees). The rules are Peel et al. (2007) (module docstring)."""
    T = np.asarray(temperature, dtype=np.float64)
    P = np.asarray(precipitation, dtype=np.float64)
    if T.shape[0] != 12 or P.shape != T.shape or np.shape(land) != T.shape[1:]:
        raise ValueError(f"temperature and precipitation must be (12, rows, columns) and land (rows, columns); "
                         f"got {T.shape}, {P.shape}, {np.shape(land)}")
    H, W = T.shape[1:]
    north = (np.asarray(lat, dtype=np.float64) >= 0)[:, None] & np.ones((1, W), bool)
    amjjas = np.zeros(12, bool)
    amjjas[3:9] = True
    # summer: the warmer half year
    warm_a = T[amjjas].mean(axis=0) >= T[~amjjas].mean(axis=0)
    summer = np.where(warm_a[None], amjjas[:, None, None], ~amjjas[:, None, None])
    del north
    MAT = T.mean(axis=0)
    MAP = P.sum(axis=0)
    Thot = T.max(axis=0)
    Tcold = T.min(axis=0)
    Tmon10 = (T > 10.0).sum(axis=0)
    Pdry = P.min(axis=0)
    inf = np.inf
    Ps = np.where(summer, P, np.nan)
    Pw = np.where(summer, np.nan, P)
    Psdry, Pswet = np.nanmin(Ps, axis=0), np.nanmax(Ps, axis=0)
    Pwdry, Pwwet = np.nanmin(Pw, axis=0), np.nanmax(Pw, axis=0)
    Psum = np.nansum(Ps, axis=0)
    Pwin = np.nansum(Pw, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        Pth = np.where(Pwin >= 0.7 * MAP, 2 * MAT, np.where(Psum >= 0.7 * MAP, 2 * MAT + 28, 2 * MAT + 14))
    Pth = np.where(MAP > 0, Pth, 2 * MAT + 14)
    del inf
    out = np.full((H, W), "", dtype="<U3")

    def third(cold_d):
        a = Thot >= 22
        b = ~a & (Tmon10 >= 4)
        t = np.where(a, "a", np.where(b, "b", "c"))
        if cold_d:
            t = np.where(~a & ~b & (Tcold < -38), "d", t)
        return t

    seas = np.where((Psdry < 40) & (Psdry < Pwwet / 3), "s", np.where(Pwdry < Pswet / 10, "w", "f"))
    E = Thot < 10
    B = ~E & (MAP < 10 * Pth)
    A = ~E & ~B & (Tcold >= 18)
    C = ~E & ~B & ~A & (Tcold > 0)
    Dg = ~E & ~B & ~A & ~C
    codeE = np.where(Thot > 0, "ET", "EF")
    codeB = np.char.add(np.char.add("B", np.where(MAP < 5 * Pth, "W", "S")), np.where(MAT >= 18, "h", "k"))
    codeA = np.where(Pdry >= 60, "Af", np.where(Pdry >= 100 - MAP / 25, "Am", "Aw"))
    codeC = np.char.add(np.char.add("C", seas), third(False))
    codeD = np.char.add(np.char.add("D", seas), third(True))
    for mask, code in ((E, codeE), (B, codeB), (A, codeA), (C, codeC), (Dg, codeD)):
        out = np.where(mask, code, out)
    return np.where(np.asarray(land, bool), out, "").astype("<U3")


def koppen(world, years: float = 1, spinup: float | None = None, progress: bool = False):
    """Köppen–Geiger classes of ``world`` over the next ``years`` model years (the world advances):
    an ``xarray.DataArray`` (lat, lon) of codes, ``""`` over the ocean; its ``attrs`` hold the
    area-weighted group shares of land (``share_A`` …, fractions) and the climatology's span."""

    return classes_of(climatology(world, years, spinup, progress=progress))


def classes_of(ds):
    """The Köppen–Geiger ``DataArray`` of a ``climatology`` Dataset (see ``koppen``)."""
    import xarray as xr

    codes = classify(ds["temperature"].values, ds["precipitation"].values, ds["land"].values, ds["lat"].values)
    da = xr.DataArray(codes, coords={"lat": ds["lat"], "lon": ds["lon"]}, dims=("lat", "lon"), name="koppen")
    shares = group_shares(da)
    da.attrs.update({f"share_{g}": v for g, v in shares.items()})
    da.attrs.update(years=ds.attrs["years"], start_time=ds.attrs["start_time"], end_time=ds.attrs["end_time"],
                    reference="Peel, Finlayson & McMahon (2007), Hydrol. Earth Syst. Sci. 11, 1633-1644")
    return da


def group_shares(classes) -> dict[str, float]:
    """Area-weighted share of the land in each main group A–E (fractions summing to 1)."""
    codes = np.asarray(getattr(classes, "values", classes))
    H, W = codes.shape
    from planet.core.grid import Grid

    w = Grid(H, W).area_weights
    land = codes != ""
    total = float(w[land].sum())
    if total == 0:
        return {g: float("nan") for g in GROUPS}
    first = codes.astype("<U1")
    return {g: float(w[land & (first == g)].sum() / total) for g in GROUPS}


#: Peel et al. (2007), Table 2: share of land area per main group (fractions)
PEEL_SHARES = {"A": 0.190, "B": 0.302, "C": 0.134, "D": 0.246, "E": 0.128}
