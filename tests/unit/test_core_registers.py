"""The syscall each thread of a core was in, read from its NT_PRSTATUS registers (and aarch64's NT_ARM_SYSTEM_CALL),
on hand-built cores whose notes have the kernel's layout (elf_prstatus: pr_pid at 32, pr_reg at 112)."""
from __future__ import annotations

import struct

from forensics.capture import core as corefile
from tests.unit.test_gdb import _note

EM_RISCV = 243
FUTEX_ARGS = (0x55AA00001000, 0x189, 0, 0, 0, 0xFFFFFFFF)


def _x86_64_prstatus(tid: int, orig_rax: int, args: tuple[int, ...] = (0,) * 6) -> bytes:
    """336 bytes as the kernel writes them: user_regs_struct is r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax,
    rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ..."""
    st = bytearray(336)
    struct.pack_into("<i", st, 32, tid)
    regs = [0x1111 * (i + 1) for i in range(27)]  # every register distinct: a wrong slot shows
    for slot, value in zip((14, 13, 12, 7, 9, 8), args, strict=True):  # rdi, rsi, rdx, r10, r8, r9
        regs[slot] = value
    regs[10] = (-512) & (2**64 - 1)  # rax: -ERESTARTSYS, the interrupted call's return value, never the number
    regs[15] = orig_rax & (2**64 - 1)
    struct.pack_into("<27Q", st, 112, *regs)
    return bytes(st)


def _aarch64_prstatus(tid: int) -> bytes:
    """392 bytes: pr_reg is x0..x30, sp, pc, pstate (no syscall number, no orig_x0)."""
    st = bytearray(392)
    struct.pack_into("<i", st, 32, tid)
    struct.pack_into("<34Q", st, 112, *(0x2222 * (i + 1) for i in range(34)))  # x8 = 0x2222 * 9: not a number to use
    return bytes(st)


def _core(path, machine: int, notes: bytes) -> str:
    ehdr = bytearray(64)
    ehdr[:4] = b"\x7fELF"
    ehdr[4], ehdr[5] = 2, 1
    struct.pack_into("<HH", ehdr, 16, 4, machine)  # ET_CORE, e_machine
    struct.pack_into("<Q", ehdr, 32, 64)
    struct.pack_into("<HH", ehdr, 54, 56, 1)
    phdr = struct.pack("<IIQQQQQQ", corefile.PT_NOTE, 0, 64 + 56, 0, 0, len(notes), 0, 4)
    path.write_bytes(bytes(ehdr) + phdr + notes)
    return str(path)


def test_x86_64_threads_get_orig_rax_and_the_six_argument_registers(tmp_path):
    notes = (_note(corefile.NT_PRSTATUS, _x86_64_prstatus(100, 202, FUTEX_ARGS))  # futex(word, WAIT_BITSET|PRIVATE..)
             + _note(corefile.NT_PRSTATUS, _x86_64_prstatus(101, -1))  # stopped in user space
             + _note(corefile.NT_PRSTATUS, _x86_64_prstatus(102, 219, (0,) * 6))  # restart_syscall after an attach
             + _note(corefile.NT_PRSTATUS, _x86_64_prstatus(103, 45, (3, 0x7F0000, 1024, 0, 0, 0))))
    info = corefile.read_core_info(_core(tmp_path / "core", corefile.EM_X86_64, notes))
    assert info.tids == (100, 101, 102, 103)
    kernel = corefile.kernel_states(info)
    assert set(kernel) == {100, 101, 102, 103}
    futex = kernel[100].syscall
    assert (futex.nr, futex.name, futex.args) == (202, "futex", FUTEX_ARGS)
    assert kernel[101].syscall is None and kernel[101].running is True  # in no syscall: executing its own code
    assert kernel[102].syscall.name == "restart_syscall"  # kept: the analysis knows it
    assert (kernel[103].syscall.name, kernel[103].syscall.args[:3]) == ("recvfrom", (3, 0x7F0000, 1024))
    for tid, ks in kernel.items():  # a core has no scheduler state: none is made up
        assert ks.state is None and ks.wchan is None and (ks.running is None) == (tid != 101)


def test_aarch64_number_comes_from_the_system_call_note_not_x8(tmp_path):
    notes = (_note(corefile.NT_PRSTATUS, _aarch64_prstatus(200)) + _note(corefile.NT_ARM_SYSTEM_CALL, struct.pack("<i", 98))
             + _note(corefile.NT_PRSTATUS, _aarch64_prstatus(201)) + _note(corefile.NT_ARM_SYSTEM_CALL, struct.pack("<i", -1)))
    info = corefile.read_core_info(_core(tmp_path / "core", corefile.EM_AARCH64, notes))
    kernel = corefile.kernel_states(info)
    assert (kernel[200].syscall.nr, kernel[200].syscall.name) == (98, "futex")  # the generic table's futex
    assert kernel[200].syscall.args == ()  # x0 is the return value by now, orig_x0 is in no note: not known
    assert kernel[201].syscall is None


def test_no_syscall_state_where_the_registers_do_not_say(tmp_path):
    """aarch64 without NT_ARM_SYSTEM_CALL (a gdb-written core): x8 is an ordinary register outside a syscall, so
    nothing; another architecture: nothing, and no error."""
    bare = _note(corefile.NT_PRSTATUS, _aarch64_prstatus(300))
    info = corefile.read_core_info(_core(tmp_path / "arm", corefile.EM_AARCH64, bare))
    assert info.tids == (300,) and corefile.kernel_states(info) == {}
    info = corefile.read_core_info(_core(tmp_path / "riscv", EM_RISCV, _note(corefile.NT_PRSTATUS, bytes(400))))
    assert info.tids == (0,) and corefile.kernel_states(info) == {}
