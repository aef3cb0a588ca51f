#!/usr/bin/env python3
"""Verdict accuracy on a labelled corpus: does the first verdict line name the culprit and its category?

The corpus is a directory with ``captures/*.json`` and ``labels.json`` in the format of
/work/helpers/blind_labels_format.md (file name -> ``{cause, category, culprit_function,
culprit_functions, healthy, kind, native, ...}``). The run does what a user does: ``hangdump import
FILES...`` into a fresh store, then reads each stored capture back and takes what ``hangdump show``
and ``collect`` print first (``forensics.summary.verdict_lines``) and the kind of the top verdict.

* named: the share of hung captures whose first verdict line names a culprit function (``name()``)
  and whose top verdict's kind is the labelled category;
* healthy: the share of healthy idle workers with no hang verdict at all: no verdict of a kind that says a
  thread is stuck (``HANG_KINDS``; ``idle``, ``sleep`` -- a helper's loop -- and ``unknown`` claim no hang).

    python scripts/bench/verdict_accuracy.py --corpus fixtures/corpus_blind [--json] [--show-errors]

Labels that are plain strings (the older corpora: file -> cause) carry no category: such a corpus is refused.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# verdict kind (forensics.analysis.Verdict.kind) -> the labels' category vocabulary
CATEGORY = {
    "deadlock": "deadlock", "gil": "gil", "io": "io-read", "lock": "lock-wait", "queue": "queue-wait",
    "wait": "condition-wait", "join": "join-wait", "subprocess": "subprocess-wait", "busy": "busy", "flock": "flock",
    "idle": "idle", "pool": "pool-wait", "sleep": "sleep", "unknown": "unknown",
}


HANG_KINDS = frozenset({"deadlock", "gil", "lock", "io", "subprocess", "pool", "flock", "busy", "queue", "join",
                        "wait"})


def imported(corpus: Path, names: list[str], store: Path) -> dict[str, dict]:
    """file name -> stored capture dict, through ``hangdump import`` as a user runs it."""
    env = dict(os.environ, HANGDUMP_HOME=str(store))
    files = [str(corpus / "captures" / n) for n in names]
    r = subprocess.run([sys.executable, "-m", "forensics", "import", *files], capture_output=True, text=True,
                       env=env, check=False)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit(f"hangdump import failed (exit {r.returncode})")
    out = {}
    for p in (store / "captures").glob("*.json"):
        d = json.loads(p.read_bytes())
        out[os.path.basename(d.get("source") or p.name)] = d
    return out


def judge(doc: dict, label: dict, roots=None) -> dict:
    """``roots``: a SourceRoots (``--source-roots-file``), read as ``hangdump show --source-root`` reads it."""
    from forensics.analysis import verdicts
    from forensics.model import Capture
    from forensics.summary import verdict_lines

    cap = Capture.from_dict(doc)
    every = verdicts(cap, **({"roots": roots} if roots else {}))
    lines = verdict_lines(cap, limit=1, roots=roots)
    first = lines[0].removeprefix("  verdict: ") if lines else ""
    top = next((v for v in every if v.kind != "idle"), every[0] if every else None)
    kind = top.kind if top is not None else "none"
    category = CATEGORY.get(kind, kind)
    if label.get("healthy"):
        ok = not any(v.kind in HANG_KINDS for v in every)
        return {"ok": ok, "category": category, "first": first}
    names = label.get("culprit_functions") or [label.get("culprit_function")]
    named = any(n and f"{n}()" in first for n in names)
    return {"ok": named and category == label["category"], "named": named,
            "category_ok": category == label["category"], "category": category, "first": first}


def score(corpus: Path, roots=None) -> tuple[dict, list[tuple[str, dict, dict]]]:
    labels = json.loads((corpus / "labels.json").read_text())
    if any(not isinstance(v, dict) for v in labels.values()):
        raise SystemExit(f"{corpus}: labels carry no category (plain cause strings): nothing to score verdicts on")
    with tempfile.TemporaryDirectory(prefix="hdverdict-") as tmp:
        docs = imported(corpus, sorted(labels), Path(tmp))
    rows = []
    for name, label in sorted(labels.items()):
        doc = docs.get(name)
        res = judge(doc, label, roots) if doc is not None else {"ok": False, "category": "missing", "first": ""}
        rows.append((name, label, res))
    hung = [r for r in rows if not r[1].get("healthy")]
    healthy = [r for r in rows if r[1].get("healthy")]
    by = defaultdict(lambda: [0, 0])
    for name, label, res in hung:
        for key in (f"category {label['category']}", f"kind {label.get('kind', '?')}",
                    f"native {bool(label.get('native'))}"):
            by[key][0] += res["ok"]
            by[key][1] += 1
    summary = {
        "corpus": str(corpus), "captures": len(rows), "hung": len(hung), "healthy": len(healthy),
        "named": sum(r[2]["ok"] for r in hung) / len(hung) if hung else None,
        "culprit_named": sum(r[2].get("named", False) for r in hung) / len(hung) if hung else None,
        "category_right": sum(r[2].get("category_ok", False) for r in hung) / len(hung) if hung else None,
        "healthy_quiet": sum(r[2]["ok"] for r in healthy) / len(healthy) if healthy else None,
        "by": {k: {"ok": v[0], "of": v[1], "share": v[0] / v[1]} for k, v in sorted(by.items())},
        "missing": sum(1 for r in rows if r[2]["category"] == "missing"),
    }
    return summary, rows


def fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True, metavar="DIR", help="labelled corpus directory")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--show-errors", action="store_true", help="list every capture judged wrong")
    ap.add_argument("--source-roots-file", metavar="FILE",
                    help="CAPTURED_PREFIX=DIR a line (DIR relative to FILE): also score with the sources read there")
    args = ap.parse_args(argv)
    runs = [("", None)]
    if args.source_roots_file:
        from forensics.analysis.source_roots import SourceRoots

        try:
            runs.append((" with source roots", SourceRoots.from_file(args.source_roots_file)))
        except (OSError, ValueError) as e:
            raise SystemExit(f"--source-roots-file: {e}") from None
    scored = [(title, *score(Path(args.corpus), roots)) for title, roots in runs]
    if args.json:
        out = scored[0][1] if len(scored) == 1 else {"without": scored[0][1], "with_source_roots": scored[1][1]}
        print(json.dumps(out, indent=2))
        return 0
    for title, summary, rows in scored:
        show(title, summary, rows, args.show_errors)
    return 0


def show(title: str, summary: dict, rows: list, show_errors: bool) -> None:
    print(f"corpus{title}: {summary['captures']} captures ({summary['hung']} hung, {summary['healthy']} healthy) "
          f"from {summary['corpus']}")
    print(f"first verdict line names the culprit and the category: {fmt(summary['named'])}"
          f"  (culprit named {fmt(summary['culprit_named'])}, category right {fmt(summary['category_right'])})")
    print(f"healthy idle workers with no hang verdict:           {fmt(summary['healthy_quiet'])}")
    for k, v in summary["by"].items():
        print(f"  {k:28} {v['ok']:4d}/{v['of']:<4d} {v['share']:.3f}")
    if show_errors:
        wrong = Counter()
        for name, label, res in rows:
            if not res["ok"]:
                want = "healthy" if label.get("healthy") else f"{label['category']} {label.get('culprit_function')}()"
                wrong[label.get("cause")] += 1
                print(f"WRONG {name}: want {want}; got [{res['category']}] {res['first'][:160]}")
        print("wrong by cause:", dict(wrong.most_common()))


if __name__ == "__main__":
    sys.exit(main())
