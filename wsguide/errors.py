"""Old home of the JavaScript error types, kept until the notebooks are rewritten."""

from .core.errors import DOMException, InvalidAccessError, js_error_string  # noqa: F401
from .core.errors import DOMSyntaxError as SyntaxError  # noqa: F401,A001
from .core.errors import JsError as Error  # noqa: F401
from .core.errors import JsRangeError as RangeError  # noqa: F401
