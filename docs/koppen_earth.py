"""Make docs/koppen_earth.png and print the numbers of the README's Earth section.

    PYTHONPATH=. python docs/koppen_earth.py 512        # ~3 minutes of stepping on 2 cores, unloaded
"""
import sys
from pathlib import Path

import numpy as np

import planet
from planet.analysis import koppen as K
from planet.render import koppen_view, to_image


def main(resolution=512):
    world = planet.earth(resolution)
    ds = K.climatology(world, years=1)
    classes = K.classes_of(ds)
    to_image(koppen_view(classes, world.state, size=(1024, 560))).save(Path(__file__).with_name("koppen_earth.png"))
    report(ds, classes, world)


def report(ds, classes, world):
    w = world.grid.area_weights
    land = ds["land"].values
    lat = ds["lat"].values
    print("land-mean precipitation mm/yr", float((ds["precipitation"].sum("month").values * w)[land].sum() / w[land].sum()))
    zt = ds["temperature"].mean(("month", "lon")).values
    print("zonal T within 5° of the equator", float(zt[abs(lat) < 5].mean()))
    t = ds["temperature"].mean("month").values
    inner = (lat[:, None] < -75) & land
    print("inner Antarctica T", float((t * w)[inner].sum() / w[inner].sum()))
    p = ds["pressure"].mean(("month", "lon")).values
    n, s = (lat > 10) & (lat < 60), (lat < -10) & (lat > -60)
    print("pressure maxima at", lat[n][np.argmax(p[n])], lat[s][np.argmax(p[s])], "equator", p[abs(lat) < 10].mean())
    for name, (la, lo) in {"India": (20, 78), "Arabian Sea": (15, 65)}.items():
        j, i = np.argmin(abs(lat - la)), np.argmin(abs(ds["lon"].values - lo))
        print(name, "Jan u,v", ds["wind_u"].values[0, j, i], ds["wind_v"].values[0, j, i],
              "Jul u,v", ds["wind_u"].values[6, j, i], ds["wind_v"].values[6, j, i])
    print("shares", {g: round(100 * v, 1) for g, v in K.group_shares(classes).items()})


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 512)
