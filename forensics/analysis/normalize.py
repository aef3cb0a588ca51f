"""Frame normalization: a frame's identity that survives deploys, Python upgrades and capture tools.

Identity (``NFrame.key``) is ``module:function`` where

* ``function`` is the last component of the (qualified) name: CPython 3.11+ and py-spy say
  ``Thread.run`` or ``outer.<locals>.inner`` where 3.9 says ``run`` / ``inner``;
* ``module`` is the dotted path under ``lib/pythonX.Y/`` for the standard library (stable across
  install roots and versions), and the file's stem for everything else (``billing`` for
  ``/srv/app/releases/20240101/billing.py`` and for ``.../site-packages/app/billing.py``):
  the directories above an application file change with every deploy, its name does not;
* a frame's ``origin`` says whose code it is: ``stdlib``; ``thirdparty`` for the libraries and
  frameworks an application calls or is run by (``LIBRARIES``: requests, urllib3, redis, kombu,
  celery, billiard, gunicorn, click, ...), which are the *mechanism* of a wait, never its call
  site; ``app`` for everything else, wherever it is installed (an application pip-installed into
  a virtualenv lives in ``site-packages`` too);
* native frames are ``lib!function`` with the library's version suffix and compiler clone
  suffixes (``.isra.0``, ``.constprop.1``, ``.cold``) removed, and raw addresses dropped.

Line numbers are metadata, never identity. ``normalize_frame`` is pure and cached per
(kind, function, file, module): a corpus of 100k captures holds only a few thousand distinct
frames, so each is computed once.
"""
from __future__ import annotations

import sys

from forensics import lazy
from forensics.records import record

STDLIB = "stdlib"
THIRDPARTY = "thirdparty"
APP = "app"
BUILTIN = "builtin"
NATIVE = "native"

_SITE = lazy.compile(r"/(?:site|dist)-packages/")
_PYLIB = lazy.compile(r"/lib(?:64)?/(?:python\d+(?:\.\d+)?[a-z]?|pypy\d*(?:\.\d+)?)/")
_FROZEN = lazy.compile(r"^<frozen ([\w.]+)>$")
_PY_EXT = lazy.compile(r"\.(?:py[cowx]?|so)$")
_CLONE_SUFFIX = lazy.compile(r"(?:\.(?:isra|constprop|part|cold|lto_priv|llvm)(?:\.\d+)*)+$")
_LIB_VERSION = lazy.compile(r"(?:[-.]?\d+(?:\.\d+)*)?(?:\.so(?:\.\d+)*|\.dylib|\.dll)$")
_HEX = lazy.compile(r"^(?:0x)?[0-9a-fA-F]{6,}$")
# Top-level packages of widely used libraries and frameworks: the mechanism a hang goes through, or the framework
# that runs the application's code, never the application itself.
LIBRARIES = frozenset(["requests", "urllib3", "httpx", "httpcore", "h11", "h2", "hpack", "aiohttp", "aiosignal", "yarl", "multidict", "certifi", "idna", "charset_normalizer", "chardet", "socks", "redis", "kombu", "amqp", "celery", "billiard", "vine", "click", "gunicorn", "uvicorn", "uvloop", "werkzeug", "flask", "django", "starlette", "fastapi", "anyio", "sniffio", "trio", "gevent", "eventlet", "greenlet", "tornado", "twisted", "zmq", "psycopg2", "psycopg", "psycopg_pool", "pymysql", "MySQLdb", "sqlalchemy", "pymongo", "bson", "motor", "boto3", "botocore", "s3transfer", "aiobotocore", "grpc", "google", "pika", "kafka", "confluent_kafka", "elasticsearch", "paramiko", "rq", "dramatiq", "huey", "apscheduler", "sentry_sdk", "opentelemetry", "prometheus_client", "dns", "websocket", "websockets", "msgpack", "simplejson", "ujson", "orjson", "yaml", "jinja2", "markupsafe", "pydantic", "attr", "attrs", "six", "setuptools", "pkg_resources", "pip", "_pytest", "pytest", "pluggy", "tenacity", "backoff", "retrying", "cachetools", "wrapt", "ddtrace", "newrelic", "structlog", "loguru"])
# Directories libraries are installed into outside site-packages: named, by the conventions of pip --target and of
# vendoring, for what they hold (lib, pylib, libs, pkgs, packages, vendor, _vendored, deps, site, third_party,
# node-style python_modules), or Lambda's task and layer, or a container's or a release's app/ that holds the code
# and its dependencies side by side. An application's own subpackage named after a library sits in a package named
# for what the application does (backends/redis/, integrations/kafka/): not one of these.
_TARGET_DIR = lazy.compile(r"(?i)lib|pkg|package|vendor|dep|site|third.?party|modules|^(task|python|app)$")
_COMPREHENSIONS = frozenset({"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"})
_NUMBERS = lazy.compile(r"\d+")


@record
class NFrame:
    """A normalized frame: ``key`` is the identity; the rest is for display and rules."""

    key: str
    module: str
    function: str
    origin: str  # stdlib | thirdparty | app | builtin | native
    kind: str  # python | native

    @property
    def is_user(self) -> bool:
        """Application or third-party Python code: what a signature is made of."""
        return self.origin == APP or self.origin == THIRDPARTY


def _dotted(rest: str) -> str:
    rest = _PY_EXT.sub("", rest).replace("/", ".")
    rest = rest.removesuffix(".__init__")
    return rest or "?"


def python_location(file: str | None, module: str | None = None) -> tuple[str, str]:
    """(module, origin) of a Python source path; ``module`` (dotted) is used when there is no path."""
    if not file:
        if module:
            return module, BUILTIN if "." not in module else (
                THIRDPARTY if module.split(".", 1)[0] in LIBRARIES else APP)
        return "?", BUILTIN
    path = file.replace("\\", "/")
    m = _FROZEN.match(path)
    if m:
        return m.group(1), STDLIB
    if path.startswith("<"):
        return path, BUILTIN if path.startswith("<built-in") else APP
    if "/" not in path and not _PY_EXT.search(path):
        # no source file, only a name: the interpreter's own code objects (3.13's ``__init__`` shim frame, which runs
        # a class's __init__ under the call that creates the instance, reports its filename as "__init__")
        return path, BUILTIN
    site = None
    for site in _SITE.finditer(path):
        pass
    if site is not None:
        dotted = _dotted(path[site.end():])
        return dotted, THIRDPARTY if dotted.split(".", 1)[0] in LIBRARIES else APP
    lib = None
    for lib in _PYLIB.finditer(path):
        pass
    if lib is not None:
        return _dotted(path[lib.end():]), STDLIB
    if not path.startswith("/"):
        # py-spy's text dump shortens paths to be relative to sys.path ("threading.py", "urllib/request.py"):
        # the top-level name tells the standard library apart
        top = _PY_EXT.sub("", path.split("/", 1)[0])
        if top in sys.stdlib_module_names:
            return _dotted(path), STDLIB
        if top in LIBRARIES:
            return _dotted(path), THIRDPARTY
    parts = path.split("/")
    for k in range(len(parts) - 2, 0, -1):
        # a library installed outside site-packages, the way `pip install --target`, vendoring and AWS Lambda lay
        # them out (.../lib/redis/connection.py, /var/task/urllib3/..., /opt/python/requests/...)
        if parts[k] in LIBRARIES and _TARGET_DIR.search(parts[k - 1]):
            return _dotted("/".join(parts[k:])), THIRDPARTY
    base = path.rsplit("/", 1)
    stem = _PY_EXT.sub("", base[-1])
    if stem == "__init__" and len(base) == 2:
        stem = base[0].rsplit("/", 1)[-1] or "__init__"
    return stem or "?", APP


def short_function(name: str) -> str:
    """``Thread.run`` -> ``run``; ``outer.<locals>.inner`` -> ``inner``; ``<lambda>`` stays."""
    if "." in name and not name.startswith("<"):
        name = name.rsplit(".", 1)[-1] or name
    elif ">." in name:
        name = name.rsplit(".", 1)[-1]
    return name


def library_name(path: str | None) -> str:
    """``/usr/lib/x86_64-linux-gnu/libc.so.6`` -> ``libc``; ``libpython3.11.so.1.0`` -> ``libpython``."""
    if not path:
        return "?"
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    if base.startswith("libpython"):
        return "libpython"
    if base.endswith((".c", ".h", ".cc", ".cpp", ".rs")):
        return base.rsplit(".", 1)[0]
    return _LIB_VERSION.sub("", base) or base


def native_function(name: str) -> str:
    """Compiler clone suffixes go, and glibc's internal aliases (``__GI___clock_nanosleep``, what gdb reads from a
    core with libc's symbols) are the public function (``__clock_nanosleep``)."""
    if not name or name == "??" or _HEX.match(name):
        return "?"
    return _CLONE_SUFFIX.sub("", name.removeprefix("__GI_"))


_CACHE: dict[tuple, NFrame] = {}
_CACHE_LIMIT = 1 << 18


def normalize_frame(kind: object, function: object, file: object, module: object = None) -> NFrame:
    """The normalized frame for raw fields as a capture stores them (any may be missing or of a wrong type)."""
    key = (kind, function, file, module)
    try:
        hit = _CACHE.get(key)
    except TypeError:  # an unhashable value from a corrupt capture
        hit = None
        key = None
    if hit is not None:
        return hit
    fn = function if isinstance(function, str) else ("?" if function is None else str(function))
    fl = file if isinstance(file, str) else None
    md = module if isinstance(module, str) else None
    if kind == "native":
        lib = library_name(md or fl)
        name = native_function(fn)
        nf = NFrame(key=f"{lib}!{name}", module=lib, function=name, origin=NATIVE, kind="native")
    else:
        mod, origin = python_location(fl, md)
        name = short_function(fn)
        key_mod = mod if origin == STDLIB else mod.rsplit(".", 1)[-1]
        nf = NFrame(key=f"{key_mod}:{name}", module=mod, function=name, origin=origin, kind="python")
    if key is not None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = nf
    return nf


def is_comprehension(nf: NFrame) -> bool:
    """A frame of an expression inside its function's line: 3.12+ inlines list/dict/set comprehensions (their frames
    exist only on older versions), and a generator expression's frame is on the stack only while the consuming call
    (sum(), any(), a loop over it) is inside it: a thread busy in ``any(x for x in ...)`` is caught in either."""
    return nf.function in _COMPREHENSIONS


def normalize_thread_name(name: str | None) -> str:
    """``ThreadPoolExecutor-3_7`` -> ``ThreadPoolExecutor-N_N``; ``worker-a-12`` -> ``worker-a-N``."""
    if not name:
        return ""
    return _NUMBERS.sub("N", name)
