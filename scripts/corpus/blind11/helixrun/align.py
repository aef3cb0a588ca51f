"""Alignment: chunks of reads aligned on the alignment pool, and the external aligner binary."""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ALIGNER = "import sys\nfor line in sys.stdin:\n    sys.stdout.write(line)\n"


def align_chunk(chunk: int) -> int:
    return chunk * 2


def collect_alignments(pool: ThreadPoolExecutor, chunks: int, gate) -> list:
    futures = [pool.submit(align_chunk, c) for c in range(chunks)]
    gate.arrive("futex")
    aligned = []
    for future in futures:
        aligned.append(future.result())
    return aligned


def align_lane(opts: dict, gate) -> None:
    # one batch at a time: a batch's reads and index do not fit twice in memory
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=str(opts.get("pool_prefix", "") or "align"))
    gate.expect(1)
    batches = [pool.submit(collect_alignments, pool, 4, gate)]
    batches += [pool.submit(align_chunk, c) for c in range(int(opts.get("queued", 0)))]
    for batch in batches:
        batch.result()


def run_aligner(reference: str, reads: str) -> int:
    proc = subprocess.Popen([sys.executable, "-c", ALIGNER, reference, reads], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL)
    return proc.wait()


def align_external(opts: dict, gate) -> None:
    gate.expect(1)
    gate.arrive("wait4")
    run_aligner("GRCh38.fa", f"lane{opts.get('run', 1)}.fastq")
