#!/usr/bin/env python3
"""Writes the seed inputs of fuzz_frames and fuzz_tcp (fuzz/corpus/<target>/).

The input formats are described at the top of fuzz_frames.c and fuzz_tcp.c;
the seeds give the fuzzer one well-formed example of each kind of input so
that it starts past the parsers' first checks.  Run from the repository root:
    python3 fuzz/seeds.py
"""
import os
import struct

IP_A, IP_B = 0x0A000001, 0x0A000002
MAC_A = bytes([0x02, 0x00, 0x00, 0x00, 0x01, 0x00])  # host index 0, eth0
MAC_B = bytes([0x02, 0x00, 0x00, 0x00, 0x02, 0x00])  # host index 1, eth0


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pseudo(src, dst, proto, length):
    return struct.pack("!IIBBH", src, dst, 0, proto, length)


def frame(ctl, body):
    return bytes([ctl]) + struct.pack("!H", len(body)) + body


# ---- fuzz_frames -----------------------------------------------------------

FIX, TO_A = 0x04, 0x08


def run(k):
    return k << 4


def l4_params(proto_sel, ttl=64, ident=1, frag=0x4000):
    return bytes([proto_sel, 0, ttl]) + struct.pack("!HH", ident, frag)


def tcp_syn(sport, dport, seq):
    opts = struct.pack("!BBH", 2, 4, 1460) + bytes([1, 3, 3, 7, 4, 2, 1, 1])
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (20 + len(opts)) // 4 << 4, 0x02,
                      65535, 0, 0)
    return hdr + opts


def icmp_echo(ident, seq, payload):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    c = csum(body)
    return body[:2] + struct.pack("!H", c) + body[4:]


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def arp_request(sender_mac, sender_ip, target_ip):
    eth = b"\xff" * 6 + sender_mac + b"\x08\x06"
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + sender_mac + struct.pack("!I", sender_ip)
    arp += b"\0" * 6 + struct.pack("!I", target_ip)
    return eth + arp


def ip_packet(src, dst, proto, l4, options=b"", ident=7, frag=0):
    ihl = (20 + len(options)) // 4
    hdr = struct.pack("!BBHHHBBHII", 0x40 | ihl, 0, 20 + len(options) + len(l4), ident, frag,
                      64, proto, 0, src, dst) + options
    c = csum(hdr)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + l4


def frames_seeds():
    seeds = {}
    # A SYN to the listener on b:80 (mode 2, checksums fixed by the target).
    seeds["syn"] = frame(0x02 | FIX | run(6), l4_params(1) + tcp_syn(40000, 80, 12345))
    # An echo request to b, and a UDP datagram to its echo port.
    seeds["ping"] = frame(0x02 | FIX | run(6), l4_params(0) + icmp_echo(0x42, 1, b"x" * 32))
    seeds["udp"] = frame(0x02 | FIX | run(6), l4_params(2) + udp(5000, 7, b"hello"))
    # An ARP request from a new neighbour (mode 0: raw bytes).
    seeds["arp"] = frame(0x00 | run(2), arp_request(bytes([2, 0xee, 0, 0, 0, 9]), 0x0A000009, IP_B))
    # A UDP datagram in two fragments (its checksum computed over the whole datagram).
    payload = bytes(range(200))
    dgram = udp(5000, 7, payload)
    c = csum(pseudo(IP_A, IP_B, 17, len(dgram)) + dgram)
    dgram = dgram[:6] + struct.pack("!H", c) + dgram[8:]
    first, second = dgram[:104], dgram[104:]
    seeds["fragments"] = frame(0x02 | FIX, l4_params(2, ident=99, frag=0x2000) + first) + frame(
        0x02 | FIX | run(6), l4_params(2, ident=99, frag=104 // 8) + second)
    # Data on the live connection, then its FIN (mode 3: seq/ack filled in).
    data = b"0123456789" * 10
    seeds["conn-data"] = frame(0x03 | run(5), struct.pack("!BhhHB", 0x18, 0, 0, 65535, 0) + data)
    seeds["conn-fin"] = frame(0x03 | run(5), struct.pack("!BhhHB", 0x11, 0, 0, 65535, 0)) + frame(
        0x03 | TO_A | run(8), struct.pack("!BhhHB", 0x11, 0, 0, 65535, 0))
    # An IPv4 packet with a Record Route option carrying an echo request (mode 1).
    rr = bytes([7, 11, 4]) + b"\0" * 8 + b"\0"
    seeds["ip-options"] = frame(0x01 | FIX | run(4),
                                ip_packet(IP_A, IP_B, 1, icmp_echo(0x43, 2, b"y" * 8), rr))
    return seeds


# ---- fuzz_tcp ----------------------------------------------------------------

PASSIVE, TS, SACK, WS, NO_NAGLE, NO_DELACK, CUBIC, SMALL = (1 << k for k in range(8))
WRAP, MSS536 = 1, 2


def op_seg(flags, seq_off, ack_off, length, wnd, om=0, skew=0, extra=b""):
    return bytes([0]) + struct.pack("!BhhHHBb", flags, seq_off, ack_off, length, wnd, om,
                                    skew) + extra


def op_advance(k):
    return bytes([1, k])


def op_send(n):
    return bytes([2]) + struct.pack("!H", n)


def op_recv(n):
    return bytes([3]) + struct.pack("!H", n)


CLOSE, ABORT, ACK_ALL, FIN = bytes([4]), bytes([5]), bytes([6]), bytes([8])


def op_data(n):
    return bytes([7]) + struct.pack("!H", n)


def tcp_seeds():
    transfer = (op_send(3000) + op_advance(5) + ACK_ALL + op_data(1000) + op_recv(3000)
                + op_advance(50) + CLOSE + ACK_ALL + FIN + op_advance(220))
    return {
        "active-transfer": bytes([TS | SACK | WS, 0]) + transfer,
        "passive-wrap": bytes([PASSIVE | TS | SACK | WS, WRAP]) + transfer,
        "plain-small-buffers": bytes([SMALL | NO_DELACK, MSS536]) + op_send(6000) + op_advance(
            150) + op_data(3000) + op_data(3000) + op_advance(10) + op_recv(6000) + ACK_ALL,
        # Out-of-order data, then a SACK-carrying duplicate ACK run (fast retransmit).
        "sack-recovery": bytes([TS | SACK | WS | NO_NAGLE, 0]) + op_send(6000)
        + op_seg(0x10, 1460, 0, 500, 65535) + op_seg(0x10, 0, 0, 0, 65535, 0x03, 0,
                                                   struct.pack("!HH", 1460, 1460))
        + op_seg(0x10, 0, 0, 0, 65535, 0x03, 0, struct.pack("!HH", 1460, 2920))
        + op_seg(0x10, 0, 0, 0, 65535, 0x03, 0, struct.pack("!HH", 1460, 4380))
        + op_advance(3) + ACK_ALL + op_recv(2000),
        "peer-close-then-abort": bytes([CUBIC, 0]) + op_data(100) + FIN + op_recv(200)
        + op_send(100) + ABORT,
        "zero-window-probe": bytes([0, 0]) + op_seg(0x10, 0, 0, 0, 0) + op_send(2000)
        + op_advance(199) + op_advance(199) + op_seg(0x10, 0, 0, 0, 65535) + op_advance(20),
    }


def write(target, seeds):
    d = os.path.join("fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("fuzz_frames", frames_seeds())
    write("fuzz_tcp", tcp_seeds())
