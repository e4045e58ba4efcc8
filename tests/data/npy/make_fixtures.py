# Regenerates the .npy fixtures with NumPy (Debian's python3-numpy):
#   /usr/bin/python3 tests/data/npy/make_fixtures.py
# The values are i * 0.25 - 1 so that the C test can recompute them.
import numpy as np
from numpy.lib import format as npf
import os
here = os.path.dirname(os.path.abspath(__file__))
def vals(shape, dtype):
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float64) * 0.25 - 1).reshape(shape).astype(dtype)
np.save(os.path.join(here, "f4_3x4.npy"), vals((3, 4), np.float32))
np.save(os.path.join(here, "f8_2x3.npy"), vals((2, 3), np.float64))
np.save(os.path.join(here, "f4_1d.npy"), vals((5,), np.float32))
np.save(os.path.join(here, "f4_fortran.npy"), np.asfortranarray(vals((2, 3), np.float32)))
np.save(os.path.join(here, "i4_2x2.npy"), np.arange(4, dtype=np.int32).reshape(2, 2))
np.save(os.path.join(here, "f4_0x8.npy"), np.zeros((0, 8), np.float32))
with open(os.path.join(here, "f4_v2_2x2.npy"), "wb") as f:
    npf.write_array(f, vals((2, 2), np.float32), version=(2, 0))
