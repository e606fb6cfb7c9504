"""transpile: source-to-source automatic differentiation for Python.

    import transpile as tp
    df = tp.grad(f, wrt=("x", "y"))     # a plain Python function
    print(tp.source(f, wrt=("x", "y"))) # the code it runs
"""

__version__ = "0.1.0"

from .api import grad, hessian, jacobian, jvp, source, value_and_grad, vjp  # noqa: E402
from .check import check_grad, compare  # noqa: E402
from .errors import TranspileError  # noqa: E402
from .rules import defpartials  # noqa: E402

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "jacobian", "hessian", "source", "check_grad", "compare",
           "defpartials", "TranspileError", "__version__"]
