"""A prefetch hint for Numba kernels that walk arrays in an order that jumps across the map.

``stream_power.erode`` visits the cells receivers first (the river order of ``drainage``): from
one cell to the next the index jumps across the map, and from 1024 columns on the arrays no longer
fit the caches; ``columns``' sweeps walk a block of columns down the rows, a grid row apart, where
the hardware's prefetcher does not follow. ``prefetch(arr, idx)`` asks the processor for
``arr[idx]`` ahead of its use (LLVM's ``llvm.prefetch``): it changes no value, reads nothing and
cannot fault.
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

#: how many cells ahead the pass along the river order (``stream_power.erode``) asks for its
#: data: the order jumps across the map, and from 1024 columns on the arrays no longer fit the
#: caches (erode at 1024x512: 4-7 -> 2.3-3.6 ms with it; no change at 512x256)
AHEAD = 32


@intrinsic
def prefetch(typingctx, arr, idx):
    """A hint that ``arr[idx]`` (a C-contiguous 1-D array, an index in range) is read soon
    (``llvm.prefetch``: no effect on any value; nothing is read, nothing can fault)."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen
