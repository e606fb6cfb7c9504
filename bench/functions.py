"""Scalar functions for bench/bench_scalar.py, each with a hand-written gradient.

Every function `name` has `name_grad` next to it: the gradient with respect to
the parameters listed in CASES, written by hand the way a careful person would
(subexpressions computed once, constants folded, no generic accumulation).
CASES gives, per row of the benchmark table, the function, its gradient, the
`wrt` tuple and a sample point.  transpile reads source, so these functions
must live in a real file.
"""

import math


# (1) small -------------------------------------------------------------------
def small(x, y):
    return x * y + math.sin(x)


def small_grad(x, y):
    return (y + math.cos(x), x)


# (2) the quickstart -----------------------------------------------------------
def quickstart(x, y):
    t = math.sin(x) * y
    return t * t + math.exp(t) / (1.0 + x * x)


def quickstart_grad(x, y):
    s = math.sin(x)
    t = s * y
    d = 1.0 + x * x
    q = math.exp(t) / d
    dt = 2.0 * t + q
    return (math.cos(x) * y * dt - 2.0 * x * q / d, s * dt)


# (3) many shared subexpressions (repeated textually; CSE has to find them) ----
def shared(x, y, z):
    return ((x * y + z) * math.sin(x * y + z) + math.exp(x * y) * (x * y + z)
            + math.cos(x * y + z) / (1.0 + x * y) + (x * y + z) * (x * y + z) * x * y)


def shared_grad(x, y, z):
    u = x * y
    v = u + z
    s = math.sin(v)
    e = math.exp(u)
    w = 1.0 + u
    c = math.cos(v)
    cw = c / w
    # f = v*s + e*v + cos(v)/w + v*v*u
    dv = s + v * c + e - s / w + 2.0 * v * u
    du = dv + e * v - cw / w + v * v
    return (y * du, x * du, dv)


# (4) 10-variable Rosenbrock, term by term -------------------------------------
def rosenbrock10(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9):
    return (100.0 * (x1 - x0 ** 2) ** 2 + (1.0 - x0) ** 2
            + 100.0 * (x2 - x1 ** 2) ** 2 + (1.0 - x1) ** 2
            + 100.0 * (x3 - x2 ** 2) ** 2 + (1.0 - x2) ** 2
            + 100.0 * (x4 - x3 ** 2) ** 2 + (1.0 - x3) ** 2
            + 100.0 * (x5 - x4 ** 2) ** 2 + (1.0 - x4) ** 2
            + 100.0 * (x6 - x5 ** 2) ** 2 + (1.0 - x5) ** 2
            + 100.0 * (x7 - x6 ** 2) ** 2 + (1.0 - x6) ** 2
            + 100.0 * (x8 - x7 ** 2) ** 2 + (1.0 - x7) ** 2
            + 100.0 * (x9 - x8 ** 2) ** 2 + (1.0 - x8) ** 2)


def rosenbrock10_grad(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9):
    # a_i = 200 * (x_{i+1} - x_i^2);  df/dx_i = a_{i-1} - 2 x_i a_i + 2 (x_i - 1)
    a0 = 200.0 * (x1 - x0 * x0)
    a1 = 200.0 * (x2 - x1 * x1)
    a2 = 200.0 * (x3 - x2 * x2)
    a3 = 200.0 * (x4 - x3 * x3)
    a4 = 200.0 * (x5 - x4 * x4)
    a5 = 200.0 * (x6 - x5 * x5)
    a6 = 200.0 * (x7 - x6 * x6)
    a7 = 200.0 * (x8 - x7 * x7)
    a8 = 200.0 * (x9 - x8 * x8)
    return (2.0 * (x0 - 1.0 - x0 * a0),
            a0 + 2.0 * (x1 - 1.0 - x1 * a1),
            a1 + 2.0 * (x2 - 1.0 - x2 * a2),
            a2 + 2.0 * (x3 - 1.0 - x3 * a3),
            a3 + 2.0 * (x4 - 1.0 - x4 * a4),
            a4 + 2.0 * (x5 - 1.0 - x5 * a5),
            a5 + 2.0 * (x6 - 1.0 - x6 * a6),
            a6 + 2.0 * (x7 - 1.0 - x7 * a7),
            a7 + 2.0 * (x8 - 1.0 - x8 * a8),
            a8)


# (5) physics-like energy: spring + bending + Coulomb + relativistic kinetic ----
def energy(x1, y1, x2, y2, px, py):
    dx = x2 - x1
    dy = y2 - y1
    r = math.hypot(dx, dy)
    theta = math.atan2(dy, dx)
    spring = 1.5 * (r - 1.2) ** 2
    bend = 0.2 * (1.0 - math.cos(theta - 0.3))
    coulomb = 0.5 / r
    kinetic = math.sqrt(1.0 + px * px + py * py)
    return spring + bend + coulomb + kinetic + 9.81 * (y1 + y2)


def energy_grad(x1, y1, x2, y2, px, py):
    dx = x2 - x1
    dy = y2 - y1
    r = math.hypot(dx, dy)
    theta = math.atan2(dy, dx)
    # dE/dr / r and dE/dtheta / r^2: radial and tangential parts
    a = (3.0 * (r - 1.2) - 0.5 / (r * r)) / r
    b = 0.2 * math.sin(theta - 0.3) / (r * r)
    gx = a * dx - b * dy
    gy = a * dy + b * dx
    k = math.sqrt(1.0 + px * px + py * py)
    return (-gx, 9.81 - gy, gx, 9.81 + gy, px / k, py / k)


# (6) logs, tanh and ** 2 powers -----------------------------------------------
def logtanh(x, y, z):
    u = math.log(1.0 + x * x)
    v = math.tanh(y - 0.5 * z)
    w = math.log(z)
    return u ** 2 + v ** 2 * u + (x - y) ** 2 * w - 0.1 * w ** 2


def logtanh_grad(x, y, z):
    q = 1.0 + x * x
    u = math.log(q)
    v = math.tanh(y - 0.5 * z)
    w = math.log(z)
    d = x - y
    dw = 2.0 * d * w
    gv = 2.0 * v * u * (1.0 - v * v)
    return ((2.0 * u + v * v) * 2.0 * x / q + dw,
            gv - dw,
            (d * d - 0.2 * w) / z - 0.5 * gv)


# (7) 50 lines: six blocks of eight statements ---------------------------------
# The hand-written gradient derives one block's adjoint by hand and repeats it
# per block (forward pass keeping what the reverse pass needs, then reverse).
def chain50(x, y):
    """48 statements in six blocks of eight, then a return: the 50-line row."""
    b0_s1 = x * y
    b0_s2 = math.sin(b0_s1) + x
    b0_s3 = b0_s2 * x - y
    b0_s4 = math.exp(-b0_s3 * b0_s3) + b0_s2
    b0_s5 = b0_s4 / (1.0 + b0_s2 * b0_s2)
    b0_s6 = math.sqrt(1.0 + b0_s5 * b0_s5) + b0_s4
    b0_s7 = math.log(b0_s6) * x
    c0 = b0_s7 + math.cos(b0_s6) * y
    b1_s1 = c0 * y
    b1_s2 = math.sin(b1_s1) + x
    b1_s3 = b1_s2 * c0 - y
    b1_s4 = math.exp(-b1_s3 * b1_s3) + b1_s2
    b1_s5 = b1_s4 / (1.0 + b1_s2 * b1_s2)
    b1_s6 = math.sqrt(1.0 + b1_s5 * b1_s5) + b1_s4
    b1_s7 = math.log(b1_s6) * x
    c1 = b1_s7 + math.cos(b1_s6) * y
    b2_s1 = c1 * y
    b2_s2 = math.sin(b2_s1) + x
    b2_s3 = b2_s2 * c1 - y
    b2_s4 = math.exp(-b2_s3 * b2_s3) + b2_s2
    b2_s5 = b2_s4 / (1.0 + b2_s2 * b2_s2)
    b2_s6 = math.sqrt(1.0 + b2_s5 * b2_s5) + b2_s4
    b2_s7 = math.log(b2_s6) * x
    c2 = b2_s7 + math.cos(b2_s6) * y
    b3_s1 = c2 * y
    b3_s2 = math.sin(b3_s1) + x
    b3_s3 = b3_s2 * c2 - y
    b3_s4 = math.exp(-b3_s3 * b3_s3) + b3_s2
    b3_s5 = b3_s4 / (1.0 + b3_s2 * b3_s2)
    b3_s6 = math.sqrt(1.0 + b3_s5 * b3_s5) + b3_s4
    b3_s7 = math.log(b3_s6) * x
    c3 = b3_s7 + math.cos(b3_s6) * y
    b4_s1 = c3 * y
    b4_s2 = math.sin(b4_s1) + x
    b4_s3 = b4_s2 * c3 - y
    b4_s4 = math.exp(-b4_s3 * b4_s3) + b4_s2
    b4_s5 = b4_s4 / (1.0 + b4_s2 * b4_s2)
    b4_s6 = math.sqrt(1.0 + b4_s5 * b4_s5) + b4_s4
    b4_s7 = math.log(b4_s6) * x
    c4 = b4_s7 + math.cos(b4_s6) * y
    b5_s1 = c4 * y
    b5_s2 = math.sin(b5_s1) + x
    b5_s3 = b5_s2 * c4 - y
    b5_s4 = math.exp(-b5_s3 * b5_s3) + b5_s2
    b5_s5 = b5_s4 / (1.0 + b5_s2 * b5_s2)
    b5_s6 = math.sqrt(1.0 + b5_s5 * b5_s5) + b5_s4
    b5_s7 = math.log(b5_s6) * x
    c5 = b5_s7 + math.cos(b5_s6) * y
    return c5 * c5


def chain50_grad(x, y):
    b0_s1 = x * y
    b0_s2 = math.sin(b0_s1) + x
    b0_s3 = b0_s2 * x - y
    b0_e = math.exp(-b0_s3 * b0_s3)
    b0_s4 = b0_e + b0_s2
    b0_den = 1.0 + b0_s2 * b0_s2
    b0_s5 = b0_s4 / b0_den
    b0_r = math.sqrt(1.0 + b0_s5 * b0_s5)
    b0_s6 = b0_r + b0_s4
    b0_L = math.log(b0_s6)
    b0_cs = math.cos(b0_s6)
    c0 = b0_L * x + b0_cs * y
    b1_s1 = c0 * y
    b1_s2 = math.sin(b1_s1) + x
    b1_s3 = b1_s2 * c0 - y
    b1_e = math.exp(-b1_s3 * b1_s3)
    b1_s4 = b1_e + b1_s2
    b1_den = 1.0 + b1_s2 * b1_s2
    b1_s5 = b1_s4 / b1_den
    b1_r = math.sqrt(1.0 + b1_s5 * b1_s5)
    b1_s6 = b1_r + b1_s4
    b1_L = math.log(b1_s6)
    b1_cs = math.cos(b1_s6)
    c1 = b1_L * x + b1_cs * y
    b2_s1 = c1 * y
    b2_s2 = math.sin(b2_s1) + x
    b2_s3 = b2_s2 * c1 - y
    b2_e = math.exp(-b2_s3 * b2_s3)
    b2_s4 = b2_e + b2_s2
    b2_den = 1.0 + b2_s2 * b2_s2
    b2_s5 = b2_s4 / b2_den
    b2_r = math.sqrt(1.0 + b2_s5 * b2_s5)
    b2_s6 = b2_r + b2_s4
    b2_L = math.log(b2_s6)
    b2_cs = math.cos(b2_s6)
    c2 = b2_L * x + b2_cs * y
    b3_s1 = c2 * y
    b3_s2 = math.sin(b3_s1) + x
    b3_s3 = b3_s2 * c2 - y
    b3_e = math.exp(-b3_s3 * b3_s3)
    b3_s4 = b3_e + b3_s2
    b3_den = 1.0 + b3_s2 * b3_s2
    b3_s5 = b3_s4 / b3_den
    b3_r = math.sqrt(1.0 + b3_s5 * b3_s5)
    b3_s6 = b3_r + b3_s4
    b3_L = math.log(b3_s6)
    b3_cs = math.cos(b3_s6)
    c3 = b3_L * x + b3_cs * y
    b4_s1 = c3 * y
    b4_s2 = math.sin(b4_s1) + x
    b4_s3 = b4_s2 * c3 - y
    b4_e = math.exp(-b4_s3 * b4_s3)
    b4_s4 = b4_e + b4_s2
    b4_den = 1.0 + b4_s2 * b4_s2
    b4_s5 = b4_s4 / b4_den
    b4_r = math.sqrt(1.0 + b4_s5 * b4_s5)
    b4_s6 = b4_r + b4_s4
    b4_L = math.log(b4_s6)
    b4_cs = math.cos(b4_s6)
    c4 = b4_L * x + b4_cs * y
    b5_s1 = c4 * y
    b5_s2 = math.sin(b5_s1) + x
    b5_s3 = b5_s2 * c4 - y
    b5_e = math.exp(-b5_s3 * b5_s3)
    b5_s4 = b5_e + b5_s2
    b5_den = 1.0 + b5_s2 * b5_s2
    b5_s5 = b5_s4 / b5_den
    b5_r = math.sqrt(1.0 + b5_s5 * b5_s5)
    b5_s6 = b5_r + b5_s4
    b5_L = math.log(b5_s6)
    b5_cs = math.cos(b5_s6)
    c5 = b5_L * x + b5_cs * y
    g = 2.0 * c5
    gx = b5_L * g
    gy = b5_cs * g
    g6 = (x / b5_s6 - math.sin(b5_s6) * y) * g
    g5 = g6 * b5_s5 / b5_r
    g5d = g5 / b5_den
    g4 = g6 + g5d
    g3 = -2.0 * b5_s3 * b5_e * g4
    g2 = g4 + g3 * c4 - 2.0 * b5_s2 * b5_s5 * g5d
    gx += g2
    gy -= g3
    g1 = math.cos(b5_s1) * g2
    gy += c4 * g1
    g = b5_s2 * g3 + y * g1
    gx += b4_L * g
    gy += b4_cs * g
    g6 = (x / b4_s6 - math.sin(b4_s6) * y) * g
    g5 = g6 * b4_s5 / b4_r
    g5d = g5 / b4_den
    g4 = g6 + g5d
    g3 = -2.0 * b4_s3 * b4_e * g4
    g2 = g4 + g3 * c3 - 2.0 * b4_s2 * b4_s5 * g5d
    gx += g2
    gy -= g3
    g1 = math.cos(b4_s1) * g2
    gy += c3 * g1
    g = b4_s2 * g3 + y * g1
    gx += b3_L * g
    gy += b3_cs * g
    g6 = (x / b3_s6 - math.sin(b3_s6) * y) * g
    g5 = g6 * b3_s5 / b3_r
    g5d = g5 / b3_den
    g4 = g6 + g5d
    g3 = -2.0 * b3_s3 * b3_e * g4
    g2 = g4 + g3 * c2 - 2.0 * b3_s2 * b3_s5 * g5d
    gx += g2
    gy -= g3
    g1 = math.cos(b3_s1) * g2
    gy += c2 * g1
    g = b3_s2 * g3 + y * g1
    gx += b2_L * g
    gy += b2_cs * g
    g6 = (x / b2_s6 - math.sin(b2_s6) * y) * g
    g5 = g6 * b2_s5 / b2_r
    g5d = g5 / b2_den
    g4 = g6 + g5d
    g3 = -2.0 * b2_s3 * b2_e * g4
    g2 = g4 + g3 * c1 - 2.0 * b2_s2 * b2_s5 * g5d
    gx += g2
    gy -= g3
    g1 = math.cos(b2_s1) * g2
    gy += c1 * g1
    g = b2_s2 * g3 + y * g1
    gx += b1_L * g
    gy += b1_cs * g
    g6 = (x / b1_s6 - math.sin(b1_s6) * y) * g
    g5 = g6 * b1_s5 / b1_r
    g5d = g5 / b1_den
    g4 = g6 + g5d
    g3 = -2.0 * b1_s3 * b1_e * g4
    g2 = g4 + g3 * c0 - 2.0 * b1_s2 * b1_s5 * g5d
    gx += g2
    gy -= g3
    g1 = math.cos(b1_s1) * g2
    gy += c0 * g1
    g = b1_s2 * g3 + y * g1
    gx += b0_L * g
    gy += b0_cs * g
    g6 = (x / b0_s6 - math.sin(b0_s6) * y) * g
    g5 = g6 * b0_s5 / b0_r
    g5d = g5 / b0_den
    g4 = g6 + g5d
    g3 = -2.0 * b0_s3 * b0_e * g4
    g2 = g4 + g3 * x - 2.0 * b0_s2 * b0_s5 * g5d
    gx += g2
    gy -= g3
    g1 = math.cos(b0_s1) * g2
    gy += x * g1
    g = b0_s2 * g3 + y * g1
    return (gx + g, gy)


# name, function, hand-written gradient, wrt, sample point
CASES = [
    ("small", small, small_grad, ("x", "y"), (0.7, 1.3)),
    ("quickstart", quickstart, quickstart_grad, ("x", "y"), (0.3, 2.0)),
    ("shared", shared, shared_grad, ("x", "y", "z"), (0.4, 0.9, 0.2)),
    ("rosenbrock10", rosenbrock10, rosenbrock10_grad, tuple(f"x{i}" for i in range(10)),
     (0.5, 1.1, 0.8, 1.3, 0.9, 0.7, 1.2, 1.0, 0.6, 1.4)),
    ("energy", energy, energy_grad, ("x1", "y1", "x2", "y2", "px", "py"), (0.1, 0.2, 1.3, 0.9, 0.4, -0.7)),
    ("logtanh", logtanh, logtanh_grad, ("x", "y", "z"), (0.8, 0.3, 1.7)),
    ("chain50", chain50, chain50_grad, ("x", "y"), (0.7, 0.4)),
]
