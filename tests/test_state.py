import numpy as np
import pytest

import planet
from planet import Planet, State, StateFileError


@pytest.fixture(scope="module")
def world():
    return Planet(resolution=128, seed=5)


def test_planet_api_shapes(world):
    s = world.state
    assert (s.rows, s.columns, s.resolution, s.seed, s.step, s.time) == (64, 128, 128, 5, 0, 0.0)
    for name in ("elevation", "plate", "uplift", "drainage_area", "basin"):
        a = getattr(s, name)
        assert a.dtype == np.float32 and a.shape == (64, 128)
    with pytest.raises(AttributeError, match="no field 'nothing'"):
        s.nothing


def test_stepping_makes_new_states(world):
    w = Planet(resolution=128, seed=5)
    before = w.state
    after = w.step(3)
    assert before.step == 0 and after.step == 3 and after.time == pytest.approx(3 / 60)
    assert w.run(until=0.1).step == 6
    with pytest.raises(ValueError, match="before the current time"):
        w.run(until=0.05)
    with pytest.raises(ValueError, match="unknown epoch"):
        w.run(until="the_future")
    with pytest.raises(ValueError, match="n must be"):
        w.step(-1)


def test_save_load_roundtrip(tmp_path, world):
    path = tmp_path / "w.npz"
    world.save(path)
    again = planet.load(path)
    assert again.state.equals(world.state)
    assert again.state.config == world.state.config
    assert not list(tmp_path.glob(".*tmp"))  # no temporary left behind


def test_a_file_written_before_the_markers_still_reads(tmp_path):
    """A state file written before ``drift_east``/``drift_north`` existed reads with the markers at
    their cell centres (their initial value), and the world goes on from it; a file lacking a field
    that was always there is still refused."""
    w = Planet(resolution=128, seed=5)
    s = w.run(until=20)
    old = {n: s[n] for n in s.names if n not in ("drift_east", "drift_north")}
    State(old, step=s.step, seed=s.seed, config=s.config, stages=s.stages).save(tmp_path / "old.npz")
    again = planet.load(tmp_path / "old.npz")
    assert (again.state.drift_east == 0).all() and (again.state.drift_north == 0).all()
    assert again.state.elevation.tobytes() == s.elevation.tobytes()
    assert again.step(2).step == s.step + 2
    del old["elevation"]
    State(old, step=s.step, seed=s.seed, config=s.config, stages=s.stages).save(tmp_path / "bad.npz")
    with pytest.raises(StateFileError, match="missing field 'elevation'"):
        State.load(tmp_path / "bad.npz")


def test_load_refuses_damaged_files(tmp_path, world):
    path = tmp_path / "w.npz"
    world.save(path)
    data = bytearray(path.read_bytes())
    with pytest.raises(StateFileError, match="does not exist"):
        State.load(tmp_path / "missing.npz")
    (tmp_path / "trunc.npz").write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(StateFileError, match="damaged"):
        State.load(tmp_path / "trunc.npz")
    flipped = bytearray(data)
    flipped[len(flipped) // 3] ^= 0xFF
    (tmp_path / "flip.npz").write_bytes(bytes(flipped))
    with pytest.raises(StateFileError, match="damaged"):
        State.load(tmp_path / "flip.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(StateFileError, match="not a planet state"):
        State.load(tmp_path / "other.npz")


def test_tampered_array_fails_checksum(tmp_path, world):
    """A file whose zip is intact but whose array differs from the recorded checksum is refused."""
    import json

    meta = world.state.meta()
    fields = {f"field/{k}": v for k, v in world.state.fields.items()}
    fields["field/elevation"] = fields["field/elevation"] + np.float32(1)
    np.savez(tmp_path / "t.npz", meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **fields)
    with pytest.raises(StateFileError, match="checksum"):
        State.load(tmp_path / "t.npz")


def test_save_to_unwritable_place_leaves_nothing(tmp_path, world):
    with pytest.raises(StateFileError, match="does not exist"):
        world.save(tmp_path / "no" / "such" / "dir.npz")


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="seed must be an integer in"):
        Planet(resolution=128, seed=-3)
    with pytest.raises(ValueError, match="seed must be an integer in"):
        Planet(resolution=128, seed=1.5)
    with pytest.raises(ValueError, match="resolution must be even"):
        Planet(resolution=129)
    with pytest.raises(ValueError, match="needs about"):
        planet.world.check_memory(16384 * 4)
    with pytest.raises(ValueError, match="unknown stage 'weather'"):
        Planet(resolution=128, stages=("weather",))
    with pytest.raises(ValueError, match="threads must be"):
        planet.set_threads(0)


def test_replace_and_copy(world):
    s = world.state
    z = s.elevation + 1
    t = s.replace(elevation=z)
    assert np.array_equal(t.elevation, z) and not np.array_equal(s.elevation, z)
    with pytest.raises(ValueError, match="shape"):
        s.replace(elevation=np.zeros((3, 3)))
    c = s.copy()
    assert c.equals(s) and c.elevation is not s.elevation
