"""The GPU session binding: the vendor's C library is loaded with ctypes. It was declared PyDLL (the GIL stays
held in the call), so a session open that waits for a free encoder engine stops every thread."""
from __future__ import annotations

import ctypes


def vendor_library() -> ctypes.PyDLL:
    return ctypes.PyDLL(None)


def open_gpu_session(lib: ctypes.PyDLL, wait_seconds: int) -> int:
    return lib.sleep(wait_seconds)
