"""GPU backend: moderngl, headless (EGL). The only module that creates a GL context.

The state goes up as four RGBA32F textures (``scene.PACKED``, four to a
texture); ``shaders/cells.frag`` draws a view's colour per cell into an RGBA32F
target of the grid's size, ``shaders/project.frag`` projects the cell colours
into an RGBA8 target of the output size, which is read back as the picture.
Shaders are package data (``planet.shaders``), loaded with
``importlib.resources``. On a machine without a GPU, Mesa's llvmpipe runs them.
"""
from __future__ import annotations

import importlib.resources

import numpy as np

from .scene import P_LIGHTS_SEED, PACKED, as_planes

_SHARED = None


def load_shader(name: str) -> str:
    """The text of ``shaders/<name>``; a clear error if it is missing from the installation."""
    try:
        return importlib.resources.files("planet.shaders").joinpath(name).read_text()
    except (FileNotFoundError, ModuleNotFoundError) as e:
        raise RuntimeError(f"shader {name!r} is missing from planet.shaders ({e}); "
                           "reinstall planet with its package data") from None


def _fragment(name: str) -> str:
    return "#version 330\n" + load_shader("common.glsl") + "\n" + load_shader(name)


def create_context():
    """A standalone headless OpenGL 3.3+ context (EGL)."""
    import moderngl

    return moderngl.create_standalone_context(backend="egl", require=330)


class GPUBackend:
    """moderngl programs for the two passes, with textures cached by size."""

    name = "gpu"

    @classmethod
    def shared(cls) -> "GPUBackend":
        global _SHARED
        if _SHARED is None:
            _SHARED = cls(create_context())
        return _SHARED

    def __init__(self, ctx):
        self.ctx = ctx
        vert = load_shader("quad.vert")
        self.cells = ctx.program(vertex_shader=vert, fragment_shader=_fragment("cells.frag"))
        self.project = ctx.program(vertex_shader=vert, fragment_shader=_fragment("project.frag"))
        quad = np.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype="f4")
        self._vbo = ctx.buffer(quad.tobytes())
        self._vao_cells = ctx.vertex_array(self.cells, [(self._vbo, "2f", "in_pos")])
        self._vao_project = ctx.vertex_array(self.project, [(self._vbo, "2f", "in_pos")])
        for n in range(4):
            self.cells[f"f{n}"].value = n
        self.project["A"].value = 4
        self.project["B"].value = 5
        self._grid = None
        self._out = None
        self.info = ctx.info.get("GL_RENDERER", "?")
        self.check()

    def check(self):
        err = self.ctx.error
        if err != "GL_NO_ERROR":
            raise RuntimeError(f"OpenGL error: {err}")

    def _grid_textures(self, H, W):
        if self._grid is None or self._grid[0] != (H, W):
            if self._grid is not None:
                for t in self._grid[1] + self._grid[2]:
                    t.release()
                for f in self._grid[3]:
                    f.release()
            fields = [self.ctx.texture((W, H), 4, dtype="f4") for _ in range(4)]
            cols = [self.ctx.texture((W, H), 4, dtype="f4") for _ in range(2)]
            for t in fields + cols:
                t.filter = (self.ctx.NEAREST, self.ctx.NEAREST)
            fbos = [self.ctx.framebuffer(color_attachments=[c]) for c in cols]
            self._grid = ((H, W), fields, cols, fbos, np.empty((H, W, 4), dtype=np.float32))
        return self._grid

    def _target(self, w, h):
        if self._out is None or self._out[0] != (w, h):
            if self._out is not None:
                self._out[1].release()
                self._out[2].release()
            rb = self.ctx.renderbuffer((w, h), 4)
            self._out = ((w, h), rb, self.ctx.framebuffer(color_attachments=[rb]))
        return self._out[2]

    def frame(self, F, P, view, second, overlay_view, overlay, Q, size):
        F = as_planes(F)
        H, W = F[0].shape
        _, fields, cols, fbos, tmp = self._grid_textures(H, W)
        for n in range(4):
            for c in range(4):                       # four planes interleaved into one RGBA texture
                tmp[:, :, c] = F[4 * n + c]
            fields[n].write(tmp)
            fields[n].use(n)
        _set_array(self.cells["P"], P)
        passes = [(0, view, overlay_view, overlay)]
        if second >= 0:
            passes.append((1, second, 0, 0.0))
        for target, v, ov, op in passes:
            self.cells["view"].value = int(v)
            self.cells["overlay_view"].value = int(max(ov, 0))
            self.cells["overlay"].value = float(op)
            fbos[target].use()
            self.ctx.viewport = (0, 0, W, H)
            self._vao_cells.render(mode=self.ctx.TRIANGLE_STRIP)
        cols[0].use(4)
        cols[1 if second >= 0 else 0].use(5)
        w, h = size
        fbo = self._target(w, h)
        fbo.use()
        self.ctx.viewport = (0, 0, w, h)
        _set_array(self.project["Q"], Q)
        self.project["size"].value = (w, h)
        self.project["lights_seed"].value = float(P[P_LIGHTS_SEED])
        self._vao_project.render(mode=self.ctx.TRIANGLE_STRIP)
        data = fbo.read(components=3, alignment=1)
        self.check()
        return np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3).copy()


assert len(PACKED) == 16


def _set_array(uniform, values):
    """Write a float array uniform; the GLSL compiler drops trailing elements no shader reads."""
    n = uniform.array_length
    uniform.write(np.ascontiguousarray(values[:n], dtype=np.float32).tobytes())
