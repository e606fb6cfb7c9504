"""Hand-written forward-mode (tangent) functions for bench/bench_higher.py.

For each function `name` of bench/functions.py listed in CASES, `name_jvp`
takes the function's parameters followed by one tangent per parameter and
returns `(value, directional derivative)`, the contract of the generated
`jvp_name`.  They are written the way a careful person would: shared
subexpressions computed once, the directional derivative collected into as
few products as the algebra allows, constants folded.  bench_higher.py checks
each against `tp.jvp` before timing anything.
"""

import math

import functions


def small_jvp(x, y, dx, dy):
    return (x * y + math.sin(x), (y + math.cos(x)) * dx + x * dy)


def quickstart_jvp(x, y, dx, dy):
    s = math.sin(x)
    t = s * y
    dt = math.cos(x) * y * dx + s * dy
    d = 1.0 + x * x
    q = math.exp(t) / d
    # d(exp(t)/d) = q dt - q (2x dx) / d
    return (t * t + q, (2.0 * t + q) * dt - 2.0 * x * q / d * dx)


def shared_jvp(x, y, z, dx, dy, dz):
    u = x * y
    v = u + z
    s = math.sin(v)
    c = math.cos(v)
    e = math.exp(u)
    w = 1.0 + u
    cw = c / w
    vv = v * v
    du = y * dx + x * dy
    # f = v s + e v + c / w + v^2 u; the partials in v and u as in shared_grad
    fv = s + v * c + e - s / w + 2.0 * v * u
    fu = e * v - cw / w + vv
    return (v * s + e * v + cw + vv * u, fv * (du + dz) + fu * du)


def rosenbrock10_jvp(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9,
                     t0, t1, t2, t3, t4, t5, t6, t7, t8, t9):
    # f = sum 100 e_i^2 + o_i^2, e_i = x_{i+1} - x_i^2, o_i = 1 - x_i
    e0 = x1 - x0 * x0
    e1 = x2 - x1 * x1
    e2 = x3 - x2 * x2
    e3 = x4 - x3 * x3
    e4 = x5 - x4 * x4
    e5 = x6 - x5 * x5
    e6 = x7 - x6 * x6
    e7 = x8 - x7 * x7
    e8 = x9 - x8 * x8
    o0 = 1.0 - x0
    o1 = 1.0 - x1
    o2 = 1.0 - x2
    o3 = 1.0 - x3
    o4 = 1.0 - x4
    o5 = 1.0 - x5
    o6 = 1.0 - x6
    o7 = 1.0 - x7
    o8 = 1.0 - x8
    value = (100.0 * (e0 * e0) + o0 * o0 + 100.0 * (e1 * e1) + o1 * o1 + 100.0 * (e2 * e2) + o2 * o2
             + 100.0 * (e3 * e3) + o3 * o3 + 100.0 * (e4 * e4) + o4 * o4 + 100.0 * (e5 * e5) + o5 * o5
             + 100.0 * (e6 * e6) + o6 * o6 + 100.0 * (e7 * e7) + o7 * o7 + 100.0 * (e8 * e8) + o8 * o8)
    tangent = (200.0 * (e0 * (t1 - 2.0 * x0 * t0) + e1 * (t2 - 2.0 * x1 * t1) + e2 * (t3 - 2.0 * x2 * t2)
                        + e3 * (t4 - 2.0 * x3 * t3) + e4 * (t5 - 2.0 * x4 * t4) + e5 * (t6 - 2.0 * x5 * t5)
                        + e6 * (t7 - 2.0 * x6 * t6) + e7 * (t8 - 2.0 * x7 * t7) + e8 * (t9 - 2.0 * x8 * t8))
               - 2.0 * (o0 * t0 + o1 * t1 + o2 * t2 + o3 * t3 + o4 * t4 + o5 * t5 + o6 * t6 + o7 * t7 + o8 * t8))
    return (value, tangent)


def energy_jvp(x1, y1, x2, y2, px, py, tx1, ty1, tx2, ty2, tpx, tpy):
    a = x2 - x1
    b = y2 - y1
    da = tx2 - tx1
    db = ty2 - ty1
    r = math.hypot(a, b)
    rm = r - 1.2
    coulomb = 0.5 / r
    ang = math.atan2(b, a) - 0.3
    k = math.sqrt(1.0 + px * px + py * py)
    value = 1.5 * (rm * rm) + 0.2 * (1.0 - math.cos(ang)) + coulomb + k + 9.81 * (y1 + y2)
    # dr = (a da + b db) / r, dtheta = (a db - b da) / r^2
    tangent = ((3.0 * rm - coulomb / r) * (a * da + b * db) / r
               + 0.2 * math.sin(ang) * (a * db - b * da) / (r * r)
               + (px * tpx + py * tpy) / k + 9.81 * (ty1 + ty2))
    return (value, tangent)


def logtanh_jvp(x, y, z, dx, dy, dz):
    q = 1.0 + x * x
    u = math.log(q)
    v = math.tanh(y - 0.5 * z)
    vv = v * v
    w = math.log(z)
    d = x - y
    dd = d * d
    value = u * u + vv * u + dd * w - 0.1 * (w * w)
    tangent = ((2.0 * u + vv) * 2.0 * x * dx / q + 2.0 * v * u * (1.0 - vv) * (dy - 0.5 * dz)
               + 2.0 * d * w * (dx - dy) + (dd - 0.2 * w) * dz / z)
    return (value, tangent)


def chain50_jvp(x, y, dx, dy):
    """One block's tangent derived by hand, repeated per block (block 0 reads x where the others read c)."""
    # block 0
    s1 = x * y
    ds1 = dx * y + x * dy
    s2 = math.sin(s1) + x
    ds2 = math.cos(s1) * ds1 + dx
    s3 = s2 * x - y
    ds3 = ds2 * x + s2 * dx - dy
    e = math.exp(-s3 * s3)
    s4 = e + s2
    ds4 = ds2 - 2.0 * s3 * e * ds3
    den = 1.0 + s2 * s2
    s5 = s4 / den
    ds5 = (ds4 - 2.0 * s2 * s5 * ds2) / den
    r = math.sqrt(1.0 + s5 * s5)
    s6 = r + s4
    ds6 = s5 * ds5 / r + ds4
    lg = math.log(s6)
    cs = math.cos(s6)
    c = lg * x + cs * y
    dc = (x / s6 - math.sin(s6) * y) * ds6 + lg * dx + cs * dy
    # block 1
    s1 = c * y
    ds1 = dc * y + c * dy
    s2 = math.sin(s1) + x
    ds2 = math.cos(s1) * ds1 + dx
    s3 = s2 * c - y
    ds3 = ds2 * c + s2 * dc - dy
    e = math.exp(-s3 * s3)
    s4 = e + s2
    ds4 = ds2 - 2.0 * s3 * e * ds3
    den = 1.0 + s2 * s2
    s5 = s4 / den
    ds5 = (ds4 - 2.0 * s2 * s5 * ds2) / den
    r = math.sqrt(1.0 + s5 * s5)
    s6 = r + s4
    ds6 = s5 * ds5 / r + ds4
    lg = math.log(s6)
    cs = math.cos(s6)
    c = lg * x + cs * y
    dc = (x / s6 - math.sin(s6) * y) * ds6 + lg * dx + cs * dy
    # block 2
    s1 = c * y
    ds1 = dc * y + c * dy
    s2 = math.sin(s1) + x
    ds2 = math.cos(s1) * ds1 + dx
    s3 = s2 * c - y
    ds3 = ds2 * c + s2 * dc - dy
    e = math.exp(-s3 * s3)
    s4 = e + s2
    ds4 = ds2 - 2.0 * s3 * e * ds3
    den = 1.0 + s2 * s2
    s5 = s4 / den
    ds5 = (ds4 - 2.0 * s2 * s5 * ds2) / den
    r = math.sqrt(1.0 + s5 * s5)
    s6 = r + s4
    ds6 = s5 * ds5 / r + ds4
    lg = math.log(s6)
    cs = math.cos(s6)
    c = lg * x + cs * y
    dc = (x / s6 - math.sin(s6) * y) * ds6 + lg * dx + cs * dy
    # block 3
    s1 = c * y
    ds1 = dc * y + c * dy
    s2 = math.sin(s1) + x
    ds2 = math.cos(s1) * ds1 + dx
    s3 = s2 * c - y
    ds3 = ds2 * c + s2 * dc - dy
    e = math.exp(-s3 * s3)
    s4 = e + s2
    ds4 = ds2 - 2.0 * s3 * e * ds3
    den = 1.0 + s2 * s2
    s5 = s4 / den
    ds5 = (ds4 - 2.0 * s2 * s5 * ds2) / den
    r = math.sqrt(1.0 + s5 * s5)
    s6 = r + s4
    ds6 = s5 * ds5 / r + ds4
    lg = math.log(s6)
    cs = math.cos(s6)
    c = lg * x + cs * y
    dc = (x / s6 - math.sin(s6) * y) * ds6 + lg * dx + cs * dy
    # block 4
    s1 = c * y
    ds1 = dc * y + c * dy
    s2 = math.sin(s1) + x
    ds2 = math.cos(s1) * ds1 + dx
    s3 = s2 * c - y
    ds3 = ds2 * c + s2 * dc - dy
    e = math.exp(-s3 * s3)
    s4 = e + s2
    ds4 = ds2 - 2.0 * s3 * e * ds3
    den = 1.0 + s2 * s2
    s5 = s4 / den
    ds5 = (ds4 - 2.0 * s2 * s5 * ds2) / den
    r = math.sqrt(1.0 + s5 * s5)
    s6 = r + s4
    ds6 = s5 * ds5 / r + ds4
    lg = math.log(s6)
    cs = math.cos(s6)
    c = lg * x + cs * y
    dc = (x / s6 - math.sin(s6) * y) * ds6 + lg * dx + cs * dy
    # block 5
    s1 = c * y
    ds1 = dc * y + c * dy
    s2 = math.sin(s1) + x
    ds2 = math.cos(s1) * ds1 + dx
    s3 = s2 * c - y
    ds3 = ds2 * c + s2 * dc - dy
    e = math.exp(-s3 * s3)
    s4 = e + s2
    ds4 = ds2 - 2.0 * s3 * e * ds3
    den = 1.0 + s2 * s2
    s5 = s4 / den
    ds5 = (ds4 - 2.0 * s2 * s5 * ds2) / den
    r = math.sqrt(1.0 + s5 * s5)
    s6 = r + s4
    ds6 = s5 * ds5 / r + ds4
    lg = math.log(s6)
    cs = math.cos(s6)
    c = lg * x + cs * y
    dc = (x / s6 - math.sin(s6) * y) * ds6 + lg * dx + cs * dy
    return (c * c, 2.0 * c * dc)


# name, function, hand-written tangent function, sample point
CASES = [
    ("small", functions.small, small_jvp, (0.7, 1.3)),
    ("quickstart", functions.quickstart, quickstart_jvp, (0.3, 2.0)),
    ("shared", functions.shared, shared_jvp, (0.4, 0.9, 0.2)),
    ("rosenbrock10", functions.rosenbrock10, rosenbrock10_jvp, (0.5, 1.1, 0.8, 1.3, 0.9, 0.7, 1.2, 1.0, 0.6, 1.4)),
    ("energy", functions.energy, energy_jvp, (0.1, 0.2, 1.3, 0.9, 0.4, -0.7)),
    ("logtanh", functions.logtanh, logtanh_jvp, (0.8, 0.3, 1.7)),
    ("chain50", functions.chain50, chain50_jvp, (0.7, 0.4)),
]
