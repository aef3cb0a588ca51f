"""Withhold secrets from what a capture records: local variables, command lines, other processes' command lines.

A secret gives itself away by its name or by the shape of its value, so both are tested:

- by name: a local, a ``key=value`` or ``key: value`` key, a dict key, or a command-line option named like a
  secret (password, token, api_key, ...) has its value withheld;
- by shape, whatever the name: URL userinfo, ``Bearer``/``Basic`` credentials, JWTs, PEM private keys and long
  high-entropy tokens (base64, hex) are masked wherever they appear.

Only the secret goes: keys, auth schemes, URL hosts and the structure of a repr stay readable. Everything here is
pure text in, text out (py-spy renders locals as repr strings), so a target inside a container is redacted the
same way as one on the host. Masking is idempotent: redacting twice changes nothing more.
"""
from __future__ import annotations

import functools
import math
import re
from collections import Counter

from forensics import lazy
from forensics.model import Capture, Frame, Local, ThreadStack
from forensics.records import replace

MASK = "***"

# --- names ---------------------------------------------------------------------------------------------------------

_NAME_PART = lazy.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SECRET_WORDS = frozenset({
    "password", "passwords", "passwd", "passphrase", "pwd", "pass", "pw", "secret", "secrets", "token",
    "credential", "credentials", "creds", "auth", "authorization", "cookie", "cookies", "sessionid", "jwt",
    "bearer", "apikey", "privatekey", "secretkey", "accesskey", "otp",
})
# Words run together without a separator (PGPASSWORD, authtoken, clientsecret, xapikey).
_SECRET_ENDINGS = ("password", "passwd", "secret", "token", "apikey")
# "<qualifier> key" is key material; a bare ``key`` is nearly always a dict key, left to the value-shape test.
_KEY_QUALIFIERS = frozenset({
    "api", "access", "private", "secret", "signing", "encryption", "master", "client", "ssh", "hmac", "aes",
    "session", "license", "account", "app", "consumer", "crypto", "gpg", "pgp", "rsa", "auth",
})
# Names about a secret that are not the secret: a file holding it, its policy, a flag turning it off.
_NOT_SECRET_TAILS = frozenset({
    "file", "path", "dir", "env", "stdin", "prompt", "policy", "url", "uri", "endpoint", "type", "length", "len",
    "count", "name", "field", "ttl", "timeout", "expiry", "expires", "expiration", "required", "hint", "command",
})
# Values that say something and hide nothing: a password that is None is worth seeing.
_HARMLESS_VALUES = frozenset({"None", "True", "False", '""', "''", "b''", 'b""'})


def secret_name(name: str) -> bool:
    """Whether a variable, key or option (``db_password``, ``X-Api-Key``, ``--token``) names a secret."""
    words = [w.lower() for w in _NAME_PART.findall(name)]
    if not words or words[0] == "no" or words[-1] in _NOT_SECRET_TAILS:
        return False
    for i, word in enumerate(words):
        if word in _SECRET_WORDS or word.startswith("passw") or word.endswith(_SECRET_ENDINGS):
            return True
        if word in ("key", "keys", "id") and i and words[i - 1] in _KEY_QUALIFIERS and (
            word != "id" or words[i - 1] == "session"
        ):
            return True
    return False


# --- value shapes --------------------------------------------------------------------------------------------------

_PEM = lazy.compile(r"(-----BEGIN [A-Z ]*PRIVATE KEY-----)(.*?)(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL)
_JWT = lazy.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = lazy.compile(r"\b((?i:bearer)\s+)(?!\*\*\*)[A-Za-z0-9._~+/=-]+")
_BASIC = lazy.compile(r"\b((?i:basic)\s+)([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])")  # (?i:) only: cheap to compile
# scheme://user:password@host; the password runs to the last @ before the host (an unescaped @ in it is common).
# Every pattern starts at a word's start and bounds what it may backtrack over: a hostile 1 MB repr stays linear.
_SCHEME_USER = r"""((?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:"'<>]{0,256}:)"""
_USERINFO = lazy.compile(_SCHEME_USER + r"""(?!\*\*\*@)[^\s/"'<>]{1,256}@""")
# The same cut short (py-spy stops a repr at 128 characters and adds "...", a core's psargs at 80): no @ left,
# and what follows the colon is not a port.
_USERINFO_CUT = lazy.compile(
    _SCHEME_USER + r"""(?!\d*(?:\.\.\.)?["']?$)(?!\*\*\*)[^\s/@"'<>]{1,256}?((?:\.\.\.)?["']?)$"""
)
# key=value, key: value, "key": value, --key=value, and "--key", "value" in a list or tuple repr (sys.argv, header
# pairs); the value's extent is found by _value_end.
_KEY = lazy.compile(r"""(["']?)(?<![\w.-])(-{0,2}[A-Za-z_][\w.-]*)\1(\s*[=:]\s*|\s*,\s*)""")
_SCHEME = lazy.compile(r"(?i:bearer|basic|token|digest|negotiate|bot|key)\s+(?=\S)")
# --token abc in a command string.
_OPTION_ARG = lazy.compile(r"""(?<![^\s"'])(-{1,2}[A-Za-z_][\w.-]*)(\s+)([^\s"'-][^\s"']*)""")
_TOKEN_RUN = lazy.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_HEX = lazy.compile(r"[0-9a-f]+|[0-9A-F]+")
_UUID = lazy.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PATH_WORD = lazy.compile(r"[a-z]{2,}\d*|\d+")  # lib, python3, issues, 2253: a path or URL path, not base64
_VENDOR_PREFIX = lazy.compile(r"(?:[a-z]{2,8}[_-]){1,2}")
_CLOSE = {"{": "}", "[": "]", "(": ")"}
_BARE_STOP = frozenset(" \t\r\n&;,\"'<>)]}")

# A token must be this long and this random to be masked by shape alone.
TOKEN_MIN_LEN = 20
HEX_MIN_LEN = 32
TOKEN_MIN_ENTROPY = 3.5  # bits per character: 20 characters of base64 noise score 4, of hex-ish noise 3.7
TOKEN_MAX_PIECE = 3.0  # mean length of its case/digit runs: words (ThreadPool, Executor) are longer, noise shorter
TOKEN_MAX_PIECE_NO_DIGIT = 2.5
TOKEN_MAX_SEPARATORS = 0.1  # - and _ per character: snake_case and kebab-case names have more


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(token: str) -> bool:
    """A base64/hex-looking run that is noise (key material), not an identifier, a path or a word.

    Paths (and URL paths) are judged one component at a time; dashed UUIDs and 0x addresses are kept (ids a
    debugger needs, not secrets by convention); plain hex of HEX_MIN_LEN digits or more is a key or a digest.
    """
    parts = token.split("/")
    if token.startswith(("/", "./", "~")) or any(_PATH_WORD.fullmatch(p) for p in parts[:-1]):
        return any(looks_random(p) for p in parts if p and not _HEX.fullmatch(p))
    core = token.strip("+/=_-")
    if _UUID.fullmatch(core) or (core[:2] in ("0x", "0X") and len(core) <= 18):
        return False
    alnum = "".join(c for c in core if c.isalnum())
    if _HEX.fullmatch(alnum):  # a number in hex, binary or with an exponent has few letters and repeats
        letters = sum(c.isalpha() for c in alnum)
        return len(alnum) >= HEX_MIN_LEN and letters >= 4 and letters < len(alnum) and _entropy(alnum) >= 3.0
    if len(core) < TOKEN_MIN_LEN or sum(c in "-_" for c in core) > TOKEN_MAX_SEPARATORS * len(core):
        return False
    pieces = len(_NAME_PART.findall(core))
    # without a digit only if even more broken up than usual: CamelCase names have no digits either
    limit = TOKEN_MAX_PIECE if any(c.isdigit() for c in alnum) else TOKEN_MAX_PIECE_NO_DIGIT
    return len(alnum) / pieces < limit and _entropy(alnum) >= TOKEN_MIN_ENTROPY


def _mask_token(m: re.Match) -> str:
    token = m.group(0)
    if not looks_random(token):
        return token
    prefix = _VENDOR_PREFIX.match(token)  # ghp_, sk_live_, xoxb-: say what kind of token it was
    return (prefix.group(0) if prefix else "") + MASK


def _basic(m: re.Match) -> str:
    import base64  # here, not at the top: with struct and binascii ~1.3 ms of every capture, for a rare header

    try:
        decoded = base64.b64decode(m.group(2), validate=True)
    except ValueError:  # binascii.Error is one
        return m.group(0)
    return m.group(1) + MASK if b":" in decoded else m.group(0)  # Basic auth is base64("user:password")


def _value_end(text: str, i: int) -> int:
    """Where the value starting at text[i] ends: a quoted string, a bracketed structure or a bare word."""
    if i >= len(text):
        return i
    if text[i] in "\"'":
        return _quoted_end(text, i)
    if text[i] in _CLOSE:
        depth = []
        j = i
        while j < len(text):
            c = text[j]
            if c in "\"'":
                j = _quoted_end(text, j)
                continue
            if c in _CLOSE:
                depth.append(_CLOSE[c])
            elif depth and c == depth[-1]:
                depth.pop()
                if not depth:
                    return j + 1
            j += 1
        return len(text)
    j = i
    while j < len(text) and text[j] not in _BARE_STOP:
        j += 1
    return j


def _quoted_end(text: str, i: int) -> int:
    quote, j = text[i], i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
        elif text[j] == quote:
            return j + 1
        else:
            j += 1
    return len(text)  # cut short (a truncated repr): the rest is the value


def _mask_value(value: str) -> str:
    """The masked form of one value: quotes and an auth scheme kept, the rest withheld."""
    if value in _HARMLESS_VALUES or value.strip("*") == "":
        return value
    if value[0] in "\"'":
        quote = value[0]
        inner = value[1:-1] if len(value) > 1 and value.endswith(quote) else value[1:]
        closing = quote if len(value) > 1 and value.endswith(quote) else ""
        scheme = _SCHEME.match(inner)
        kept = scheme.group(0) if scheme else ""
        return value if inner[len(kept):] == MASK or not inner else quote + kept + MASK + closing
    return MASK


def _redact_pairs(text: str) -> str:
    """key=value, key: value and "key": value with a secret-looking key: the value is masked, the key kept."""
    out, pos = [], 0
    for m in _KEY.finditer(text):
        if m.start() < pos or not secret_name(m.group(2)):
            continue
        start = m.end()
        if "," in m.group(3) and not (m.group(1) and text[start:start + 1] in ("'", '"')):
            continue  # a comma pairs quoted strings only: ("password", "x"), not f(password, x)
        scheme = _SCHEME.match(text, start)
        if scheme and text[start] not in "\"'":
            start = scheme.end()
        end = _value_end(text, start)
        if end == start:
            continue
        out.append(text[pos:start])
        out.append(_mask_value(text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _option_arg(m: re.Match) -> str:
    if not secret_name(m.group(1)) or m.group(3) == MASK:
        return m.group(0)
    return m.group(1) + m.group(2) + MASK


def redact_text(text: str) -> str:
    """``text`` (a repr, an argument, a header) with every secret-shaped part replaced by ***."""
    # Each shape below needs a literal its pattern spells out: without it the pattern is neither run nor compiled.
    # (?i:bearer) matches only what lower() turns into "bearer"; (?i:basic) also matches U+017F and U+0130/1.
    if "-----BEGIN " in text:
        text = _PEM.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    if "eyJ" in text:
        text = _JWT.sub(MASK, text)
    lower = text.lower()
    if "bearer" in lower:
        text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    if "basic" in lower or not text.isascii():
        text = _BASIC.sub(_basic, text)
    if "://" in text:
        text = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
        text = _USERINFO_CUT.sub(lambda m: m.group(1) + MASK + m.group(2), text)
    text = _redact_pairs(text)
    text = _OPTION_ARG.sub(_option_arg, text)
    return _TOKEN_RUN.sub(_mask_token, text)


# --- what a capture holds ------------------------------------------------------------------------------------------

_ASSIGNMENT = lazy.compile(r"(-{0,2}[A-Za-z_][\w.-]*)=(.+)", re.DOTALL)
_FLAG = lazy.compile(r"-{1,2}[A-Za-z_][\w.-]*")


def redact_argv(argv: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A command line with secrets masked: ``--db-password=x``, ``--token x``, ``PGPASSWORD=x`` and value shapes.

    An argument is one value, so an assignment to a secret-named key is masked whole, spaces and commas included.
    """
    return _redacted_argv(tuple(argv))


@functools.lru_cache(maxsize=32)  # the workers of one pool share their command line: one capture call redacts it once
def _redacted_argv(argv: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next and arg and not arg.startswith("-"):
            out.append(MASK)
            hide_next = False
            continue
        hide_next = bool(_FLAG.fullmatch(arg)) and secret_name(arg)
        m = _ASSIGNMENT.fullmatch(arg)
        out.append(f"{m.group(1)}={MASK}" if m and secret_name(m.group(1)) else redact_text(arg))
    return tuple(out)


def redact_local(local: Local) -> Local:
    """A secret-named local is withheld whole (repr None); any other loses only its secret-shaped parts.

    ``redacted`` is set in both cases: something was withheld, and the repr (if kept) says what.
    """
    if local.repr is None:
        return local
    if secret_name(local.name) and local.repr not in _HARMLESS_VALUES:
        return replace(local, repr=None, redacted=True)
    masked = redact_text(local.repr)
    return local if masked == local.repr else replace(local, repr=masked, redacted=True)


def _frame(frame: Frame) -> Frame:
    if not frame.locals:
        return frame
    return replace(frame, locals=tuple(redact_local(v) for v in frame.locals))


def redact_thread(thread: ThreadStack) -> ThreadStack:
    """Locals, and the fd facts that can quote another process's command line (a pipe's other end, a lock holder)
    or a path (the fd, the watched fds)."""
    kernel = thread.kernel
    if kernel is not None and (kernel.peer or kernel.fd_target or kernel.watches):
        kernel = replace(
            kernel,
            peer=redact_text(kernel.peer) if kernel.peer else kernel.peer,
            fd_target=redact_text(kernel.fd_target) if kernel.fd_target else kernel.fd_target,
            watches=tuple(redact_text(w) for w in kernel.watches) if kernel.watches else kernel.watches,
        )
    return replace(thread, frames=tuple(_frame(f) for f in thread.frames), kernel=kernel)


def redact_capture(capture: Capture) -> Capture:
    """Every place a secret can sit in a capture made elsewhere (an imported file): locals, cmdline, fd facts."""
    process = capture.process
    if process is not None:
        process = replace(process, cmdline=redact_argv(process.cmdline))
    return capture.with_changes(threads=tuple(redact_thread(t) for t in capture.threads), process=process)
