"""Frame normalization and signatures: identity survives deploys, Python versions and capture depth."""
from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from forensics.analysis import ThreadSignature, frame_similarity, normalize_frame, normalize_thread_name
from forensics.analysis.classify import analyze_thread
from forensics.analysis.normalize import library_name, python_location, short_function
from forensics.analysis.signature import TOP_FRAMES


@pytest.mark.parametrize(
    ("path", "module", "origin"),
    [
        ("/root/.pyenv/versions/3.9.18/lib/python3.9/threading.py", "threading", "stdlib"),
        ("/usr/lib/python3.11/concurrent/futures/thread.py", "concurrent.futures.thread", "stdlib"),
        ("/opt/py/lib64/python3.13t/queue.py", "queue", "stdlib"),
        ("<frozen importlib._bootstrap>", "importlib._bootstrap", "stdlib"),
        ("/srv/venv/lib/python3.12/site-packages/requests/models.py", "requests.models", "thirdparty"),
        ("/usr/lib/python3/dist-packages/urllib3/__init__.py", "urllib3", "thirdparty"),
        ("/srv/app/releases/20240101T1200/billing.py", "billing", "app"),
        ("/home/deploy/checkout-7/svc/billing.py", "billing", "app"),
        ("/srv/app/current/payments/__init__.py", "payments", "app"),
        # libraries installed outside site-packages: pip --target, vendoring, AWS Lambda's task and layer dirs
        ("/srv/billing/meterflow-4.1.0-cp313/lib/redis/_parsers/socket.py", "redis._parsers.socket", "thirdparty"),
        ("/var/task/urllib3/response.py", "urllib3.response", "thirdparty"),
        ("/opt/python/requests/sessions.py", "requests.sessions", "thirdparty"),
        ("/srv/parcelhub/releases/2.4.0-cp312/app/redis/client.py", "redis.client", "thirdparty"),  # pip -t app/
        ("/srv/parcelhub/releases/2.4.0-cp312/app/parcelhub/rates.py", "rates", "app"),
        ("/srv/billing/meterflow-4.1.0-cp313/lib/meterflow/gateway.py", "gateway", "app"),
        # named by the same conventions: what the directory holds (packages, libraries, vendored code)
        ("/usr/local/lib/lending/4_3_1-py310/pkgs/redis/client.py", "redis.client", "thirdparty"),
        ("/var/lib/kerb/releases/140/py313/pylib/redis/connection.py", "redis.connection", "thirdparty"),
        ("/srv/x/_vendored_libs/urllib3/connectionpool.py", "urllib3.connectionpool", "thirdparty"),
        ("/srv/x/python_modules/requests/adapters.py", "requests.adapters", "thirdparty"),
        # ... but an application's subpackage named after a library is the application's
        ("/srv/shop/backends/redis/cache.py", "cache", "app"),
        ("/srv/shop/integrations/kafka/consumer.py", "consumer", "app"),
        # ... and a deploy directory that happens to carry a library's name is the application's
        ("/srv/django/shop/views.py", "views", "app"),
        ("/opt/celery/worker/tasks.py", "tasks", "app"),
        ("<string>", "<string>", "app"),
        (None, "?", "builtin"),
    ],
)
def test_python_location(path, module, origin):
    assert python_location(path) == (module, origin)


def test_qualified_names_match_across_versions():
    assert short_function("Thread.run") == "run" == short_function("run")
    assert short_function("outer.<locals>.inner") == "inner"
    assert short_function("<lambda>") == "<lambda>"
    a = normalize_frame("python", "Thread.run", "/usr/lib/python3.11/threading.py")
    b = normalize_frame("python", "run", "/root/.pyenv/versions/3.9.18/lib/python3.9/threading.py")
    assert a.key == b.key == "threading:run"


def test_app_frames_match_across_install_roots():
    keys = {
        normalize_frame("python", "ShippingHandler.emit", "/srv/app/releases/1/hangs/shipper.py").key,
        normalize_frame("python", "emit", "/opt/venvs/a/lib/python3.9/site-packages/hangapp/shipper.py").key,
        normalize_frame("python", "emit", "/tmp/x/app-v1.3.0/lib/shipper.py").key,
    }
    assert keys == {"shipper:emit"}


def test_native_frames_drop_versions_addresses_and_clone_suffixes():
    assert library_name("/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0") == "libpython"
    assert library_name("/usr/lib/x86_64-linux-gnu/libc.so.6") == "libc"
    assert normalize_frame("native", "take_gil.isra.0", "/usr/lib/libpython3.12.so").key == "libpython!take_gil"
    assert normalize_frame("native", "0x7f3afc000b70", "/usr/lib/libc.so.6").function == "?"


def test_thread_name_counters():
    assert normalize_thread_name("ThreadPoolExecutor-3_7") == "ThreadPoolExecutor-N_N"
    assert normalize_thread_name(None) == ""


def test_odd_field_types_do_not_raise():
    assert normalize_frame("python", 42, ["not", "hashable"], None).function == "42"
    # a name undecodable as UTF-8 (a surrogate escape) is kept as it is; a file that is not text is no location
    odd = normalize_frame("weird-kind", "\udcff", b"bytes")
    assert (odd.key, odd.function, odd.module, odd.kind) == ("?:\udcff", "\udcff", "?", "python")
    assert odd.key != normalize_frame("python", "\udcfe", None).key  # two such names stay two functions


# --- properties -------------------------------------------------------------------------------------------
ident = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)
roots = st.sampled_from([
    "/srv/app/releases/{n}/", "/opt/venvs/app{n}/lib/python3.{m}/site-packages/pkg/", "/home/u/checkout{n}/",
    "/tmp/build-{n}/app-v1.{m}.0/lib/",
])


def _thread(funcs, mods, root, lines, version):
    frames = [
        {"kind": "python", "function": f, "file": root + m + ".py", "line": ln}
        for f, m, ln in zip(funcs, mods, lines)
    ]
    frames.append({"kind": "python", "function": "Thread.run" if version >= 11 else "run",
                   "file": f"/usr/lib/python3.{version}/threading.py", "line": 900 + version})
    return {"tid": 1, "name": "w", "frames": frames}


@settings(max_examples=60, deadline=None)
@example(funcs=["a", "b", "c", "d"], mods=["m", "n", "o", "p"], r1="/srv/app/releases/{n}/", r2="/home/u/checkout{n}/",
         n=1, m=11, lines=[1, 2, 3, 4], shift=7, v1=11, v2=12)  # deeper than the signature keeps
@given(
    funcs=st.lists(ident, min_size=1, max_size=4),
    mods=st.lists(ident, min_size=4, max_size=4),
    r1=roots, r2=roots, n=st.integers(0, 999), m=st.integers(9, 13),
    lines=st.lists(st.integers(1, 5000), min_size=4, max_size=4), shift=st.integers(0, 300),
    v1=st.integers(9, 13), v2=st.integers(9, 13),
)
def test_signature_stable_under_line_shifts_paths_and_versions(funcs, mods, r1, r2, n, m, lines, shift, v1, v2):
    a = analyze_thread(0, _thread(funcs, mods, r1.format(n=n, m=m), lines, v1))
    b = analyze_thread(0, _thread(funcs, mods, r2.format(n=n + 1, m=m), [x + shift for x in lines], v2))
    assert a.signature == b.signature
    # what both keep is the application's own frames from the wait outwards (not the stdlib's Thread.run),
    # recursion removed, the innermost TOP_FRAMES of them, and the outermost as the entry
    chain = list(dict.fromkeys(f"{mod}:{fn}" for fn, mod in zip(funcs, mods)))
    assert (a.signature.frames, a.signature.entry) == (tuple(chain[:TOP_FRAMES]), chain[-1])


@settings(max_examples=60, deadline=None)
@given(f1=ident, f2=ident, m1=ident, m2=ident)
def test_different_app_frames_never_collide(f1, f2, m1, m2):
    a = normalize_frame("python", f1, f"/srv/app/{m1}.py")
    b = normalize_frame("python", f2, f"/srv/app/{m2}.py")
    assert (a.key == b.key) == ((f1, m1) == (f2, m2))
    ta = analyze_thread(0, _thread([f1], [m1], "/srv/app/", [1], 11))
    tb = analyze_thread(0, _thread([f2], [m2], "/srv/app/", [1], 11))
    assert (ta.signature == tb.signature) == ((f1, m1) == (f2, m2))


keys = st.lists(st.sampled_from(["a:x", "b:y", "c:z", "d:w", "e:v"]), min_size=0, max_size=5).map(tuple)


@given(a=keys, b=keys)
def test_frame_similarity_is_a_bounded_symmetric_score(a, b):
    s = frame_similarity(a, b)
    assert 0.0 <= s <= 1.0
    assert s == pytest.approx(frame_similarity(b, a))
    if a and a == b:
        assert s == 1.0


def test_similarity_weighs_the_wait_end():
    base = ("app:wait_here", "app:caller", "app:entry")
    assert frame_similarity(base, ("app:wait_here", "app:caller", "other:entry")) >= 0.8
    assert frame_similarity(base, ("app:elsewhere", "app:caller", "app:entry")) < 0.5
    assert ThreadSignature("", base).text().startswith("call @ app:wait_here")


def test_short_paths_of_pyspy_text_dumps_keep_stdlib_apart():
    from forensics.analysis.normalize import python_location

    assert python_location("threading.py") == ("threading", "stdlib")
    assert python_location("urllib/request.py") == ("urllib.request", "stdlib")
    assert python_location("billing/jobs.py")[1] == "app"
    assert python_location("/srv/app/threading_utils.py") == ("threading_utils", "app")
