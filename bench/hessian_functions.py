"""10-variable scalar functions with dense Hessians, for bench/bench_higher.py.

bench/functions.py has rosenbrock10, whose Hessian is tridiagonal (each
variable meets only its neighbours).  These two couple every variable with
every other one, so all 100 Hessian entries are nonzero:

* pairs10: one term per pair (i, j), i < j, alternating exp(0.1 x_i x_j) and
  sin(x_i x_j) (45 terms), plus log(1 + |x|^2).
* logsumexp10: log(sum_i exp(a_i x_i)) plus the square of a weighted sum:
  dense through two shared sums, with few operations per variable.

Loops are not supported by transpile yet, so the sums are written out.
transpile reads source, so these functions must live in a real file.
"""

import math


def pairs10(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9):
    r0 = (math.exp(0.1 * x0 * x1) + math.sin(x0 * x2) + math.exp(0.1 * x0 * x3) + math.sin(x0 * x4)
          + math.exp(0.1 * x0 * x5) + math.sin(x0 * x6) + math.exp(0.1 * x0 * x7) + math.sin(x0 * x8)
          + math.exp(0.1 * x0 * x9))
    r1 = (math.exp(0.1 * x1 * x2) + math.sin(x1 * x3) + math.exp(0.1 * x1 * x4) + math.sin(x1 * x5)
          + math.exp(0.1 * x1 * x6) + math.sin(x1 * x7) + math.exp(0.1 * x1 * x8) + math.sin(x1 * x9))
    r2 = (math.exp(0.1 * x2 * x3) + math.sin(x2 * x4) + math.exp(0.1 * x2 * x5) + math.sin(x2 * x6)
          + math.exp(0.1 * x2 * x7) + math.sin(x2 * x8) + math.exp(0.1 * x2 * x9))
    r3 = (math.exp(0.1 * x3 * x4) + math.sin(x3 * x5) + math.exp(0.1 * x3 * x6) + math.sin(x3 * x7)
          + math.exp(0.1 * x3 * x8) + math.sin(x3 * x9))
    r4 = (math.exp(0.1 * x4 * x5) + math.sin(x4 * x6) + math.exp(0.1 * x4 * x7) + math.sin(x4 * x8)
          + math.exp(0.1 * x4 * x9))
    r5 = math.exp(0.1 * x5 * x6) + math.sin(x5 * x7) + math.exp(0.1 * x5 * x8) + math.sin(x5 * x9)
    r6 = math.exp(0.1 * x6 * x7) + math.sin(x6 * x8) + math.exp(0.1 * x6 * x9)
    r7 = math.exp(0.1 * x7 * x8) + math.sin(x7 * x9)
    r8 = math.exp(0.1 * x8 * x9)
    s = x0 * x0 + x1 * x1 + x2 * x2 + x3 * x3 + x4 * x4 + x5 * x5 + x6 * x6 + x7 * x7 + x8 * x8 + x9 * x9
    return r0 + r1 + r2 + r3 + r4 + r5 + r6 + r7 + r8 + math.log(1.0 + s)


def logsumexp10(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9):
    z = (math.exp(0.3 * x0) + math.exp(0.5 * x1) + math.exp(0.7 * x2) + math.exp(0.9 * x3) + math.exp(1.1 * x4)
         + math.exp(1.3 * x5) + math.exp(1.5 * x6) + math.exp(1.7 * x7) + math.exp(1.9 * x8) + math.exp(2.1 * x9))
    m = x0 + 2.0 * x1 + 3.0 * x2 + 4.0 * x3 + 5.0 * x4 - x5 - 2.0 * x6 - 3.0 * x7 - 4.0 * x8 - 5.0 * x9
    return math.log(z) + 0.01 * m * m


POINT = (0.5, 1.1, 0.8, 1.3, 0.9, 0.7, 1.2, 1.0, 0.6, 1.4)

# name, function, sample point (all 10 parameters are differentiated)
CASES = [
    ("pairs10", pairs10, POINT),
    ("logsumexp10", logsumexp10, POINT),
]
