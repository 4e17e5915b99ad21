"""R survival's generalised Cholesky routines (``cholesky2``, ``chsolve2``, ``chinv2``) for small p.

What: the FDF' decomposition with R's rule for a redundant column (a pivot below
``toler`` times the largest diagonal is set to 0, and that coordinate's step and variance are 0),
the solve and the inverse built on it.

Why our own and not ``numpy.linalg``: ``coxph`` takes its Newton steps, its score test and its
variance through these routines, and their treatment of a (nearly) singular information matrix
decides R's iteration path under monotone likelihood and the variance it reports; LAPACK's
Cholesky raises on a non-positive pivot instead. The matrices are p x p (p = number of
covariates), so the O(p^3) Python loops cost microseconds.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["TOLER_CHOL", "chinv2", "cholesky2", "chsolve2"]

FloatArray = npt.NDArray[np.float64]

#: ``coxph.control()$toler.chol``: .Machine$double.eps ^ 0.75.
TOLER_CHOL = float(np.finfo(np.float64).eps ** 0.75)


def cholesky2(matrix: FloatArray, toler: float = TOLER_CHOL) -> tuple[FloatArray, int]:
    """Return R's FDF' decomposition of a symmetric matrix (lower triangle, D on the diagonal).

    The upper triangle of ``matrix`` is read (as R does); the result keeps it and holds F below
    the diagonal and D on it. The second value is R's flag: the rank, negated when the matrix is
    not non-negative definite (0 when no diagonal is positive).
    """
    m = np.array(matrix, dtype=np.float64, copy=True)
    n = m.shape[0]
    eps = 0.0
    for i in range(n):
        if m[i, i] > eps:
            eps = float(m[i, i])
        for j in range(i + 1, n):
            m[j, i] = m[i, j]
    if eps == 0:
        return m, 0
    eps *= toler
    rank = 0
    nonneg = 1
    for i in range(n):
        pivot = float(m[i, i])
        if not math.isfinite(pivot) or pivot < eps:
            m[i, i] = 0.0
            if pivot < -8 * eps:
                nonneg = -1
        else:
            rank += 1
            for j in range(i + 1, n):
                temp = m[j, i] / pivot
                m[j, i] = temp
                m[j, j] -= temp * temp * pivot
                for k in range(j + 1, n):
                    m[k, j] -= temp * m[k, i]
    return m, rank * nonneg


def chsolve2(chol: FloatArray, y: FloatArray) -> FloatArray:
    """Solve A b = y given :func:`cholesky2`'s decomposition of A (0 for a redundant coordinate)."""
    n = chol.shape[0]
    b = np.array(y, dtype=np.float64, copy=True)
    for i in range(n):
        b[i] -= float(b[:i] @ chol[i, :i])
    for i in range(n - 1, -1, -1):
        if chol[i, i] == 0:
            b[i] = 0.0
        else:
            b[i] = b[i] / chol[i, i] - float(b[i + 1 :] @ chol[i + 1 :, i])
    return b


def chinv2(chol: FloatArray) -> FloatArray:
    """Return the (generalised) inverse from :func:`cholesky2`'s decomposition, symmetric.

    As R, rows and columns of a redundant coordinate are 0. Applied to a matrix that was *not*
    decomposed (lower triangle 0), this returns diag(1 / a_ii) for a_ii > 0 and zeros elsewhere,
    which is what ``coxfit6`` does when it runs out of iterations (see :mod:`hcctrial.stats.cox`).
    """
    m = np.array(chol, dtype=np.float64, copy=True)
    n = m.shape[0]
    for i in range(n):
        if m[i, i] > 0:
            m[i, i] = 1.0 / m[i, i]
            for j in range(i + 1, n):
                m[j, i] = -m[j, i]
                for k in range(i):
                    m[j, k] += m[j, i] * m[i, k]
    for i in range(n):
        if m[i, i] == 0:
            m[:i, i] = 0.0
            m[i, i:] = 0.0
        else:
            for j in range(i + 1, n):
                temp = m[j, i] * m[j, j]
                m[i, j] = temp
                for k in range(i, j):
                    m[i, k] += temp * m[j, k]
    upper = np.triu(m)
    return upper + np.triu(m, 1).T
