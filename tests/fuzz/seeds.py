#!/usr/bin/env python3
"""Writes the hand-made seed inputs of tests/fuzz/corpus (seed-* files).

Run from anywhere; inputs the fuzzers found, and regression inputs of
fixed crashes, live beside these under other names and are kept as they are.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# --- pmi_line: [ncuts][cut sizes - 1][stream] ---
def pmi_line(name, stream, cuts=b""):
    put("pmi_line", name, bytes([len(cuts)]) + cuts + stream)


pmi_line("init", b"cmd=init pmi_version=1 pmi_subversion=1\n")
pmi_line("answers",
         b"cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0\n"
         b"cmd=my_kvsname kvsname=kvs_1_0 rc=0\n"
         b"cmd=get_result rc=0 msg=success value=abc\n"
         b"cmd=barrier_out\n"
         b"cmd=ferry_event_rank_exited rank=1\n", b"\x02\x06\x10")
pmi_line("one-line", b"mcmd=spawn  nprocs=2   execname=a.out")
pmi_line("long-line", b"cmd=put key=" + b"k" * 5000 + b"\ncmd=get key=a\n", b"\x40\xff")
pmi_line("at-limit", b"cmd=put value=" + b"v" * 1024 + b" x=" + b"y" * (4095 - 1042) + b"\n")
pmi_line("just-over", b"cmd=x y=" + b"z" * (4096 - 8) + b"\ncmd=after\n", b"\x00\x01")
pmi_line("bad-lines",
         b"key=val\n\ncmd=\ncmd=a b\ncmd=a =b\ncmd=a b=\x00c\n" +
         b"cmd=many " + b" ".join(b"k%d=v" % i for i in range(40)) + b"\n")

# --- pmi_server: records [op][len:2][bytes]; op's low 2 bits: the rank,
# bits 2-4: 0 write, 5 exit (0x80: announce), 6 clock ---
def w(rank, text):
    return bytes([rank]) + struct.pack("<H", len(text)) + text


def exit_(rank, announce=False):
    return bytes([(5 << 2) | rank | (0x80 if announce else 0)])


TICK = bytes([6 << 2])


def elsewhere(what, *operands):
    return bytes([7 << 2, what]) + b"".join(operands)


def s8(text):
    return bytes([len(text)]) + text

K = b"kvsname=kvs_fuzz_0"
put("pmi_server", "wireup", b"\0" +
    w(0, b"cmd=init pmi_version=1 pmi_subversion=1\ncmd=get_maxes\ncmd=get_my_kvsname\n") +
    w(1, b"cmd=init pmi_version=1 pmi_subversion=1\ncmd=get_universe_size\ncmd=get_appnum\n") +
    w(0, b"cmd=put " + K + b" key=ferry.node.0 value=-/host\n") +
    w(1, b"cmd=put " + K + b" key=ferry.node.1 value=-/host\n") +
    w(2, b"cmd=put " + K + b" key=ferry.node.2 value=-/host\n") +
    w(0, b"cmd=barrier_in\n") + w(1, b"cmd=barrier_in\n") + w(2, b"cmd=barrier_in\n") +
    w(2, b"cmd=get " + K + b" key=ferry.node.0\ncmd=get " + K + b" key=none\n") +
    w(0, b"cmd=finalize\n"))
put("pmi_server", "names", b"\0" +
    w(2, b"cmd=ferry_name_lookup name=svc timeout_ms=-1\n") +
    w(1, b"cmd=ferry_name_lookup name=other timeout_ms=1\n") +
    w(0, b"cmd=ferry_name_register name=svc port=0:2:1\n") +
    w(1, b"cmd=ferry_name_lookup name=svc timeout_ms=0\n") +
    w(1, b"cmd=ferry_name_unregister name=svc\n") + TICK +
    w(0, b"cmd=ferry_name_unregister name=svc\ncmd=ferry_name_register name=a=b port=x\n") +
    w(0, b"cmd=ferry_name_bogus name=x\n"))
put("pmi_server", "bad", b"\0" +
    w(0, b"cmd=init pmi_version=2\ncmd=nonsense\ncmd=a=b\nnocmd\n") +
    w(1, b"cmd=put kvsname=wrong key=a value=b\ncmd=put " + K + b" key=a\n") +
    w(1, b"cmd=get " + K + b"\n" + b"cmd=put key=" + b"x" * 4200 + b"\n") +
    w(2, b"cmd=abort exitcode=3 error_msg=it failed here\n") +
    w(0, b"cmd=barrier_in\ncmd=barrier_in\n"))
put("pmi_server", "exits", b"\0" +
    w(0, b"cmd=barrier_in\n") + exit_(1) + TICK + exit_(2, True) +
    w(0, b"cmd=barrier_in\ncmd=ferry_name_lookup name=n timeout_ms=-1\n") + exit_(0))
put("pmi_server", "split", b"\0" +
    w(0, b"cmd=put " + K + b" ke") + w(0, b"y=a val") + w(0, b"ue=b\ncmd=get " + K) +
    w(0, b" key=a\n"))

put("pmi_server", "node", b"\1" +
    w(0, b"cmd=put " + K + b" key=a value=1\n") + elsewhere(0, s8(b"b"), s8(b"2")) +
    w(1, b"cmd=get " + K + b" key=b\n") +
    w(0, b"cmd=barrier_in\n") + w(1, b"cmd=barrier_in\n") + w(2, b"cmd=barrier_in\n") +
    elsewhere(1) +
    w(2, b"cmd=ferry_name_lookup name=svc timeout_ms=100\n") + elsewhere(2, s8(b"1:2:1"), b"\1") +
    w(1, b"cmd=ferry_name_register name=x port=0:2:1\n") + elsewhere(2, s8(b"a b"), b"\0") +
    elsewhere(3, b"\0") + elsewhere(4) + exit_(0, True) + w(1, b"cmd=barrier_in\n") + elsewhere(1))

# --- cli: words separated by NUL bytes ---
for name, words in {
    "basic": ["-n", "4", "prog"],
    "all": ["--np=2", "-x", "FOO=1", "-x", "BAR", "--tag-output", "--bind-to", "core",
            "--timeout", "10", "--oversubscribe", "--no-abort-on-exit", "-v", "a.out", "arg"],
    "help": ["--help"],
    "version": ["-V", "x"],
    "bad-count": ["-n", "abc", "p"],
    "too-many": ["-np", "99999", "p"],
    "unknown": ["--bogus=1", "p"],
    "dashdash": ["--", "-prog", "x"],
    "bad-export": ["-x", "=v", "p"],
    "value-on-flag": ["--verbose=1", "p"],
    "missing-value": ["--timeout"],
    "no-program": ["-n", "2"],
    "hosts": ["--host", "a:2,b", "-H", "c", "--ppn=2", "--map-by", "node", "--launch-fanout", "4",
              "--launcher-exec", "ip netns exec", "-n", "5", "prog"],
    "hostfile": ["--hostfile", "hosts.txt", "--map-by=slot", "-np", "100000", "p"],
    "ppn-alone": ["--ppn", "2", "p"],
}.items():
    put("cli", name, b"\0".join(x.encode() for x in words))

# --- ring_frames ---
def hdr(src=0, kind=1, flags=0, port=0, gen=1, seq=0, size=0, tag=0):
    return struct.pack("<IHHIIQQQ", src, kind, flags, port, gen, seq, size, tag)


def cell_write(cell, data):
    return struct.pack("<HB", cell * 64, len(data)) + data


def frame(pos, length, payload=b""):
    return struct.pack("<II", pos, length) + hdr(size=length) + payload


put("ring_frames", "one-frame", b"\0" + struct.pack("<I", 0) +
    cell_write(0, frame(0, 16, b"p" * 16)))
put("ring_frames", "wrap", b"\0" + struct.pack("<I", 62) +
    cell_write(62, struct.pack("<II", 62, 0xFFFFFFFF)) + cell_write(0, frame(64, 8, b"w" * 8)))
put("ring_frames", "at-end", b"\0" + struct.pack("<I", 63) + cell_write(63, frame(63, 1900)))
put("ring_frames", "honest", b"\1" + b"".join(bytes([0]) + struct.pack("<H", n)
                                            for n in (0, 16, 1000, 1936, 100)) + b"\1" +
    b"".join(bytes([0]) + struct.pack("<H", n) for n in (1936, 1936, 700)) + b"\1")

# --- frames: ops [op][operands] (see frames.c) ---
def inject(h, payload, how=0, pick=None):
    out = bytes([11, how]) + h
    if how & 1:
        out += bytes([pick])
    return out + struct.pack("<H", len(payload)) + payload


def trailer(reply=(0, 0, 0), ports=(), regions=()):
    out = b"".join(struct.pack("<III", *p) for p in ports)
    out += b"".join(struct.pack("<QQ", *r) for r in regions)
    return out + struct.pack("<IIIIII", *reply, len(ports), len(regions), 0)


PORT0 = bytes([0, 2])  # a port with limit 2
put("frames", "eager", bytes([0, 2]) + inject(hdr(kind=1, size=5), b"hello", 1, 0) +
    bytes([5, 0, 0x10, 0, 2, 2]))
put("frames", "rts-posted", bytes([3, 0, 0]) + bytes([100]) +
    inject(hdr(kind=2, size=100), struct.pack("<QQQQ", 7, 0x1000, 100, 0), 1, 0) +
    bytes([4, 0]))
put("frames", "rts-queued", PORT0 +
    inject(hdr(kind=2, size=70000), struct.pack("<QQQQ", 9, 0x1000, 70000, 0), 1, 0) +
    bytes([5, 0, 0x10, 0x20, 0, 0]))
put("frames", "trailer", PORT0 +
    inject(hdr(kind=1, flags=16, size=4), b"body" +
           trailer((0, 0, 1), [(0, 0, 1)], [(128, 100)]), 1, 1) +
    bytes([5, 1, 0x00, 0x01, 4, 4]))
put("frames", "credits", PORT0 + inject(hdr(kind=16), b"", 1, 0) +
    inject(hdr(kind=19, size=5), b"", 1, 0) + inject(hdr(kind=17, size=3), b"", 1, 1) +
    inject(hdr(kind=18), b"", 1, 1) + inject(hdr(kind=20), b"", 1, 1) +
    inject(hdr(kind=16, flags=32), b"", 1, 0) + bytes([9, 0, 0]) + inject(hdr(kind=16), b"", 1, 0))
put("frames", "large-send", PORT0 + bytes([7, 0, 0]) +
    inject(hdr(kind=3, tag=0), b"", 4) + bytes([8, 0]) + bytes([7, 1, 0]) +
    inject(hdr(kind=4, tag=1), b"", 4) + inject(hdr(kind=22, tag=1), b"", 5, 0))
put("frames", "watch", PORT0 + inject(hdr(kind=24), b"", 1, 0) + bytes([10, 0, 1]) +
    inject(hdr(kind=25), b"", 1, 0) + bytes([1, 0]) + inject(hdr(kind=24), b"", 1, 0))
put("frames", "sets", PORT0 + PORT0 + bytes([0x12]) + bytes([2, 2, 0]) +
    inject(hdr(kind=1, size=3), b"abc", 1, 0) + bytes([5, 2, 0x10, 0, 0, 0]) +
    bytes([6, 1, 3]) + b"xyz" + bytes([1, 3]))

# --- typed: [mode][body] or [mode][items] ---
SIZES = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 8, 8: 8, 9: 4, 10: 8, 11: 1, 12: 12, 13: 16}


def body(items, order=1):
    out = b"FTYP" + bytes([1, order, 0, 0])
    for t, vals in items:
        n = len(vals) // SIZES[t]
        out += bytes([t, SIZES[t]]) + bytes(6) + struct.pack("<Q" if order == 1 else ">Q", n)
        out += vals + bytes(-len(vals) % 8)
    return out


B = body([(5, struct.pack("<3i", 1, -2, 3)), (11, b"bytes"), (12, struct.pack("<3I", 0, 2, 1)),
          (13, struct.pack("<QQ", 128, 64)), (10, struct.pack("<d", 2.5)), (1, b"")])
put("typed", "read", b"\0" + B)
put("typed", "read-odd", b"\2" + B)
put("typed", "read-other-order", b"\0" + body([(7, struct.pack(">q", -5)), (3, b"\0\1\0\2")], 2))
put("typed", "read-bad", b"\0" + B[:-3])
items = b"".join(bytes([t - 1, 2]) + bytes(range(2 * SIZES[t])) for t in SIZES)
put("typed", "write", b"\1" + items)
put("typed", "write-swapped", b"\3" + items)

# --- memheap: ops [op][operands] ---
def alloc(n):
    return bytes([0]) + struct.pack("<H", n)


put("memheap", "basic", alloc(100) + alloc(0) + alloc(5000) + bytes([1, 1]) + alloc(64) +
    bytes([3]) + struct.pack("<h", 0) + bytes([0]) + bytes([2]) + struct.pack("<h", 64) +
    bytes([0]) + bytes([2]) + struct.pack("<h", -64) + bytes([2]) + bytes([1, 0]))
put("memheap", "hostile", alloc(10) + bytes([4]) + struct.pack("<H", 128) + bytes([5]) +
    struct.pack("<H", 64) + bytes([0x84]) + struct.pack("<Q", 2**64 - 64) + bytes([0x85]) +
    struct.pack("<Q", 1 << 40))
put("memheap", "fill", b"".join(alloc(1000) for _ in range(70)) + b"".join(
    bytes([1, i]) for i in range(0, 70, 3)) + alloc(3000))
put("memheap", "huge", bytes([0x80]) + struct.pack("<I", 0xFFFFFFFF) + alloc(65000))

# --- extra: [flags][payload]; live blocks at 128 (0 bytes), 192 (256), 512 (4096) ---
put("extra", "reply", b"\0" + b"body" + trailer((0, 5, 1)))
put("extra", "ports", b"\0" + trailer((0, 0, 0), [(0, 2, 1), (1, 3, 4)]))
put("extra", "regions", b"\1" + b"xx" + trailer((0, 0, 0), [], [(192, 256), (512, 100)]))
put("extra", "region-twice", b"\1" + trailer((0, 0, 0), [(0, 0, 1)], [(192, 10), (192, 10)]))
put("extra", "bad-region", b"\0" + trailer((0, 0, 0), [], [(200, 1)]))
put("extra", "empty-region-not-a-block", b"\1" + trailer((0, 0, 0), [], [(64 * 1000, 0)]))
put("extra", "too-many", b"\0" + struct.pack("<IIIIII", 0, 0, 0, 65, 0, 0))
put("extra", "short", b"\0" + b"abc")

# --- hostfile: [mode][np:2][ppn][cap:2][text]; mode bit 0 hostfile, bit 1
# map by node, bit 2 oversubscribe ---
def hosts(name, mode, np, ppn, cap, text):
    put("hostfile", name, bytes([mode]) + struct.pack("<H", np) + bytes([ppn]) +
        struct.pack("<H", cap) + text)


hosts("list", 0, 5, 0, 200, b"h1:2,h2,h3:4")
hosts("list-by-node", 2, 7, 0, 200, b"a:3,b:3,a:1")
hosts("list-oversubscribed", 4, 40, 2, 64, b"n1,n2,n3")
hosts("list-bad", 0, 1, 0, 100, b"h1:0,-x")
hosts("file", 1, 0, 0, 300, b"# a cluster\nnode1 slots=4\nnode2:2\n\nnode3  # one slot\n")
hosts("file-bad", 1, 3, 0, 100, b"node1 slots=x\n")
hosts("file-empty", 1, 3, 0, 100, b"# nothing\n\n")
hosts("file-small-cap", 3, 9, 1, 12, b"a\nb\nc\n")

# --- agent_wire: [flags][ncuts][cuts][stream] of frames ---
def frame(t, body=b""):
    return struct.pack(">IH", len(body) + 2, t) + body


def u32(v):
    return struct.pack(">I", v)


def bstr(b):
    return u32(len(b)) + b


def strv(words):
    return u32(len(words)) + b"".join(bstr(w) for w in words)


HELLO = frame(1, u32(1) + u32(1) + bstr(b"ab" * 32))
put("agent_wire", "hello", b"\0\0" + HELLO)
put("agent_wire", "reports", b"\1\3\x05\x01\x40" + HELLO +
    frame(2, u32(3) + u32(1234) + bstr(b"host1")) +
    frame(3, u32(2) + bstr(b"k") + bstr(b"v") + bstr(b"k2") + bstr(b"")) +
    frame(4, u32(0) + b"\1" + bstr(b"hello\n")) + frame(5, u32(0) + u32(99) + u32(0)) +
    frame(6, u32(1) + u32(3) + bstr(b"failed")) + frame(7, bstr(b"h") + bstr(b"oops")) +
    frame(8, u32(2) + bstr(b"bad")) +
    frame(9, u32(1) + bstr(b"ferry_name_lookup") + bstr(b"svc") + bstr(b"") + bstr(b"10")) +
    frame(64) + frame(33, u32(0)) + frame(34, u32(15)) +
    frame(35, u32(1) + bstr(b"ferry_name_lookup") + bstr(b"0") + bstr(b"port") + bstr(b"1:2:1")) +
    frame(36, u32(4)))
JOB = (bstr(b"kvs_1_0") + bstr(b"(vector,(0,1,2),(1,1,1))") + u32(3) + u32(2) + bstr(b"a") +
       bstr(b"b") + u32(0) + u32(0) + u32(1) + u32(2) + u32(32) + u32(0) + u32(1) +
       strv([b"ssh"]) + bstr(b"/usr/bin/ferryd") + bstr(b"/tmp") + bstr(b"/bin/true") +
       strv([b"true", b"x"]) + u32(1) + bstr(b"FOO") + bstr(b"bar") + u32(1) + u32(1) + u32(0))
put("agent_wire", "job", b"\1\0" + frame(32, JOB))
put("agent_wire", "job-cut", b"\1\2\x00\x10" + frame(32, JOB) + frame(64))
put("agent_wire", "too-long-unauthenticated", b"\0\0" + struct.pack(">IH", 5000, 1) + b"x" * 100)
put("agent_wire", "bad-length", b"\1\0" + frame(64) + struct.pack(">IH", 1, 1))

# --- ofi_addr: [mode][...] ---
put("ofi_addr", "one-piece", b"\0" + b"4:node1:0a0b0c0d")
put("ofi_addr", "two-pieces", b"\0" + b"300:n:" + b"ab" * 256 + b"\0" + b"cd" * 44)
put("ofi_addr", "bad-hex", b"\0" + b"2:h:zz00")
put("ofi_addr", "bad-length", b"\0" + b"99999:h:00")
put("ofi_addr", "encode", b"\1" + b"\5node7" + bytes(range(200)) * 3)
put("ofi_addr", "filter", b"\2" + b"^tcp,verbs\0tcp;ofi_rxm")
put("ofi_addr", "filter-exact", b"\2" + b"tcp;ofi_rxm\0tcp;ofi_rxm")
