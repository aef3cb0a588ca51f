"""CCD readout: a readout thread streams rows off the ADC, the assembler stacks them into a frame."""
import queue
import threading

from .probes import announce, enlist


class ReadoutFault(RuntimeError):
    pass


def _stream_rows(rows, expected, overrun_at):
    for n in range(expected):
        if n == overrun_at:
            raise ReadoutFault(f"ADC overrun at row {n}")
        rows.put(bytes(16))


def assemble_frames(rows, expected):
    frame = []
    while len(frame) < expected:
        frame.append(rows.get())
    return b"".join(frame)


def ccd_readout(opts):
    rows = queue.Queue()
    expected = 64 * opts.get("rows", 2)
    reader = threading.Thread(target=_stream_rows, args=(rows, expected, expected // 2),
                              name=f"adc-readout-{opts.get('unit', 1)}")
    reader.start()
    reader.join()
    announce(enlist("futex"))
    return assemble_frames(rows, expected)
