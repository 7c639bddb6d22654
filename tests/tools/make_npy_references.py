#!/usr/bin/python3
"""Writes small .npy files with NumPy itself for tests/core/test_npy.cpp.

Run at development time with Debian's python3-numpy (1.24), i.e. /usr/bin/python3, NOT by the
tests:   /usr/bin/python3 tests/tools/make_npy_references.py

The values are simple closed forms that the C++ test restates; the files cover every dtype the
reader accepts, Fortran order, 0-d and empty arrays, format versions 1.0/2.0/3.0, a big-endian
file (which must be refused) and files whose bytes intermap's writer must reproduce exactly.
"""
import os

import numpy as np

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'npy'))


def save(name, array, version=None):
    path = os.path.join(OUT, name)
    if version is None:
        np.save(path, array)
    else:
        with open(path, 'wb') as f:
            np.lib.format.write_array(f, np.asanyarray(array), version=version)


def main():
    os.makedirs(OUT, exist_ok=True)
    # value(i) = i * 0.5 - 1 in C order
    c_order = (np.arange(6, dtype=np.float32) * 0.5 - 1).reshape(2, 3)
    save('f4_2x3.npy', c_order)
    save('f4_5.npy', np.arange(5, dtype=np.float32) / 4)
    save('f4_scalar.npy', np.array(2.5, dtype=np.float32))
    save('f4_0x3.npy', np.zeros((0, 3), dtype=np.float32))
    save('f8_3.npy', np.array([1.0 / 3.0, -2.5e300, 5e-324], dtype=np.float64))
    save('f8_scalar.npy', np.array(3.25, dtype=np.float64))
    # float16: zero, a normal value, the largest finite, the smallest subnormal, infinity, -0
    save('f2_6.npy', np.array([0.0, -1.5, 65504.0, 2.0 ** -24, np.inf, -0.0], dtype=np.float16))
    save('u1_2x2.npy', np.array([[0, 1], [254, 255]], dtype=np.uint8))
    save('i4_3.npy', np.array([-2147483648, 7, 2147483647], dtype=np.int32))
    save('i8_3.npy', np.array([-(2 ** 53), 0, 2 ** 53], dtype=np.int64))
    save('b1_3.npy', np.array([True, False, True]))
    # value(i, j, k) = 12 i + 4 j + k, stored column-major
    fortran = np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    assert fortran.flags['F_CONTIGUOUS'] and not fortran.flags['C_CONTIGUOUS']
    save('f4_fortran_2x3x4.npy', fortran)
    save('f8_fortran_3x2.npy', np.asfortranarray(np.arange(6, dtype=np.float64).reshape(3, 2)))
    save('f4_2x3_v2.npy', c_order, version=(2, 0))
    save('f4_2x3_v3.npy', c_order, version=(3, 0))
    save('f4_2x3_bigendian.npy', c_order.astype('>f4'))
    # For byte-for-byte comparison with intermap's writer: value(i) = i * 0.25 - 3 in C order.
    save('writer_f4_4x5.npy', (np.arange(20, dtype=np.float32) * 0.25 - 3).reshape(4, 5))
    save('writer_f8_7.npy', np.arange(7, dtype=np.float64) * 0.25 - 3)
    save('writer_f4_scalar.npy', np.array(-3.0, dtype=np.float32))
    # A three-digit leading dimension changes NumPy's header padding (room to grow that axis).
    save('writer_f4_224x0.npy', np.zeros((224, 0), dtype=np.float32))
    print('wrote', len(os.listdir(OUT)), 'files to', OUT)


if __name__ == '__main__':
    main()
