"""Old name of :mod:`wsguide.doctor`, kept until the notebooks are rewritten (wsguide only)."""

from .doctor import (  # noqa: F401
    Report,
    Result,
    browser_path,
    browser_ready,
    check_asyncio_not_patched,
    check_browser,
    check_kernel,
    check_loopback,
    check_packages,
    check_python,
    main,
    run_all,
)
