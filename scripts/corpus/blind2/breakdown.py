#!/usr/bin/env python3
"""Per-cause breakdown of a labelled corpus's scores, with the scoring benches of a given checkout.

Runs `score()` of that checkout's scripts/bench/cluster_quality.py and verdict_accuracy.py (each imports
the corpus into a fresh store with the interpreter running this script, so run it with a venv holding
that checkout installed) and prints, as markdown, the overall figures and per cause: captures, clusters
it is split over, the share in its largest cluster, the causes it shares a cluster with, and how many
first verdict lines name its culprit and category (or, healthy, give no hang verdict).

    /tmp/venv/bin/python scripts/corpus/blind2/breakdown.py --checkout /work/wt/frozen \\
        --corpus fixtures/corpus_blind2 [--json]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path


def bench(checkout: Path, name: str):
    spec = importlib.util.spec_from_file_location(f"frozen_{name}", checkout / "scripts" / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def per_cause(ours: dict[str, str], gold: dict[str, str], rows: list[tuple[str, dict, dict]]) -> list[dict]:
    clusters_of: dict[str, Counter] = defaultdict(Counter)
    causes_in: dict[str, set[str]] = defaultdict(set)
    for f, cause in gold.items():
        clusters_of[cause][ours[f]] += 1
        causes_in[ours[f]].add(cause)
    verdicts: dict[str, list[dict]] = defaultdict(list)
    labels = {}
    for name, label, res in rows:
        verdicts[label["cause"]].append(res)
        labels[label["cause"]] = label
    table = []
    for cause in sorted(clusters_of, key=lambda c: (labels[c].get("healthy", False), c)):
        counts = clusters_of[cause]
        n = sum(counts.values())
        merged = sorted({other for cid in counts for other in causes_in[cid]} - {cause})
        res = verdicts[cause]
        wrong = Counter(r["category"] for r in res if not r["ok"])
        table.append({
            "cause": cause, "category": labels[cause]["category"], "healthy": bool(labels[cause].get("healthy")),
            "captures": n, "clusters": len(counts), "largest_share": max(counts.values()) / n, "merged_with": merged,
            "verdict_ok": sum(r["ok"] for r in res), "verdicts": len(res),
            "culprit_named": sum(bool(r.get("named")) for r in res),
            "category_right": sum(bool(r.get("category_ok")) for r in res),
            "wrong_as": dict(wrong.most_common()),
        })
    return table


def markdown(cq: dict, va: dict, table: list[dict]) -> str:
    r = cq["results"]["hangdump"]
    out = [
        (f"captures {cq['captures']}, causes {cq['causes']}, clusters {r['clusters']}"
        f" (missing from every cluster: {len(cq['missing'])})"),
        "",
        "| method | clusters | BCubed P | BCubed R | BCubed F1 | pairwise P | pairwise R | pairwise F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in cq["results"].items():
        out.append(f"| {name} | {m['clusters']} | {m['bcubed_p']:.3f} | {m['bcubed_r']:.3f} | {m['bcubed_f1']:.3f}"
                   f" | {m['pairwise_p']:.3f} | {m['pairwise_r']:.3f} | {m['pairwise_f1']:.3f} |")

    def share(x):
        return "n/a" if x is None else f"{x:.3f}"

    out += [
        "",
        (f"first verdict line names the culprit and the category: {share(va['named'])}"
        f" (culprit named {share(va['culprit_named'])}, category right {share(va['category_right'])};"
        f" {va['hung']} hung captures)"),
        f"healthy idle workers with no hang verdict: {share(va['healthy_quiet'])} ({va['healthy']} captures)",
        "",
        ("| cause | category | captures | clusters | in largest | shares a cluster with | verdict ok | culprit named"
        " | category right | wrong verdicts' category |"),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in table:
        named = "-" if t["healthy"] else f"{t['culprit_named']}/{t['verdicts']}"
        right = "-" if t["healthy"] else f"{t['category_right']}/{t['verdicts']}"
        wrong = ", ".join(f"{k} x{v}" for k, v in t["wrong_as"].items()) or "-"
        out.append(f"| {t['cause']} | {t['category']} | {t['captures']} | {t['clusters']} | {t['largest_share']:.2f}"
                   f" | {', '.join(t['merged_with']) or '-'} | {t['verdict_ok']}/{t['verdicts']} | {named} | {right}"
                   f" | {wrong} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkout", type=Path, required=True, help="the checkout whose scripts/bench/ scores")
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    cq_summary, ours, gold, _ = bench(args.checkout, "cluster_quality").score(args.corpus)
    va_summary, rows = bench(args.checkout, "verdict_accuracy").score(args.corpus)
    table = per_cause(ours, gold, rows)
    if args.json:
        print(json.dumps({"clusters": cq_summary, "verdicts": va_summary, "per_cause": table}, indent=1))
    else:
        print(markdown(cq_summary, va_summary, table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
