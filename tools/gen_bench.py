#!/usr/bin/env python3
"""Writes the benchmark worlds of scenarios/bench/.

    tools/gen_bench.py [OUTDIR]        (default: scenarios/bench next to this script)

The worlds mirror the ns-3 experiments of docs/PERFORMANCE.md (same topology,
rates, delays, queues, buffers, TCP options, loss and start times), plus the
scaling series.  Every file is generated: edit this script, not the JSON.

A host has at most 64 interfaces, so where ns-3 gave one node more links than
that (a dumbbell router with 100 access links, a server with one link per
client), the access links end on edge routers joined to the original node by
ideal links: no serialization, no propagation delay, no queue limit.  A frame
crosses such a link in zero simulated time, so every packet sees exactly the
delays and queues of the ns-3 topology; the simulator only does more work
(one more hop per packet), which counts against it.

Addresses and routes are explicit (a /30 per access link, default routes
towards the core) so that routing tables stay small whatever the size of the
world."""
import json
import pathlib
import sys

MAX_IFACES = 64

# The TCP of the ns-3 runs: NewReno with classic recovery, MSS 1460, SACK and
# timestamps off, window scaling on, IW 10, delayed ACK every 2 segments or
# 200 ms, min RTO 1 s.
NS3_TCP = {
    "mss": 1460,
    "initial_window": 10,
    "cc": "newreno",
    "delayed_ack": "200ms",
    "sack": False,
    "timestamps": False,
    "window_scale": True,
    "min_rto": "1s",
}
NS3_QUEUE = 100  # DropTail device queues of 100 packets

# An ideal link: no rate (no serialization), no delay, no queue limit.
IDEAL = {"delay": "0s", "queue": 0}


def fmt_time(ns):
    """A time in the largest unit that keeps it an integer."""
    for unit, size in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns}ns"


class World:
    """Hosts, links (with explicit /30 subnets) and apps of one scenario."""

    def __init__(self, name, title, seed=1):
        self.doc = {"name": name, "title": title, "seed": seed}
        self.hosts = {}  # name -> host object, in insertion order
        self.links = []
        self.apps = []
        self.next_subnet = 0  # /30 blocks handed out from 10.0.0.0/8

    def host(self, name, forward=False):
        h = {"name": name}
        if forward:
            h["forward"] = True
        h["interfaces"] = []
        h["routes"] = []
        self.hosts[name] = h
        return name

    def link(self, a, b, params, name=None):
        """Joins a and b on a fresh /30; returns (a's address, b's address)."""
        k = self.next_subnet
        self.next_subnet += 1
        base = (10 << 24) + 4 * k
        ip_a, ip_b = dotted(base + 1), dotted(base + 2)
        lname = name or f"{a}-{b}"
        self.links.append({"name": lname, "a": a, "b": b, **params})
        self.hosts[a]["interfaces"].append({"link": lname, "ip": ip_a + "/30"})
        self.hosts[b]["interfaces"].append({"link": lname, "ip": ip_b + "/30"})
        return ip_a, ip_b

    def route(self, host, dest, via):
        self.hosts[host]["routes"].append({"dest": dest, "via": via})

    def app(self, **fields):
        self.apps.append(fields)

    def write(self, path, duration, tcp, description, expect=None):
        doc = dict(self.doc)
        doc["description"] = {"en": description}
        doc["duration"] = duration
        doc["defaults"] = {"tcp": tcp}
        hosts = []
        for h in self.hosts.values():
            h = dict(h)
            if not h["routes"]:
                del h["routes"]  # the loader computes them (small worlds only)
            hosts.append(h)
        doc["hosts"] = hosts
        doc["links"] = self.links
        doc["apps"] = self.apps
        if expect:
            doc["expect"] = expect
        write_json(path, doc)


def dotted(ip):
    return ".".join(str((ip >> s) & 255) for s in (24, 16, 8, 0))


def write_json(path, doc):
    """One array element per line: readable diffs, small files."""
    out = ["{"]
    items = list(doc.items())
    for i, (k, v) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        if isinstance(v, list) and v and isinstance(v[0], dict):
            out.append(f"  {json.dumps(k)}: [")
            for j, e in enumerate(v):
                ec = "," if j + 1 < len(v) else ""
                out.append("    " + json.dumps(e, separators=(",", ":")) + ec)
            out.append("  ]" + comma)
        else:
            out.append(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}{comma}")
    out.append("}")
    pathlib.Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")


def groups_of(n_leaves):
    """How many edge routers n_leaves need below one node (0: none)."""
    spare = MAX_IFACES - 1  # one interface stays free for the node's uplink
    if n_leaves <= spare:
        return 0
    return min(-(-n_leaves // spare), spare)


def subnets_needed(n_leaves):
    """The /30 subnets attach_many uses for n_leaves."""
    g = groups_of(n_leaves)
    if g == 0:
        return n_leaves
    return g + sum(subnets_needed(len(part)) for part in split(range(n_leaves), g))


def split(seq, n):
    """n consecutive parts whose sizes differ by at most one."""
    seq = list(seq)
    return [seq[g * len(seq) // n:(g + 1) * len(seq) // n] for g in range(n)]


def attach_many(w, core, leaves, leaf_link, prefix):
    """Joins every leaf host to `core` with a leaf_link each.  Up to
    MAX_IFACES - 1 leaves hang off one node; more go through edge routers
    (`prefix`e0, e1, ...) joined to the core by ideal links, recursively if
    even the edge routers are too many.  Each leaf gets a default route
    towards the core; every subtree's subnets form one aligned prefix, so the
    node above it needs a single route for it.  Returns the leaves' addresses
    in leaf order."""
    g = groups_of(len(leaves))
    if g == 0:
        addrs = []
        for leaf in leaves:
            ip_core, ip_leaf = w.link(core, leaf, leaf_link)
            w.route(leaf, "default", ip_core)
            addrs.append(ip_leaf)
        return addrs
    addrs = []
    for g_i, part in enumerate(split(leaves, g)):
        edge = w.host(f"{prefix}e{g_i}", forward=True)
        ip_core, ip_edge = w.link(core, edge, IDEAL)
        w.route(edge, "default", ip_core)
        block = 1
        while block < subnets_needed(len(part)):
            block *= 2
        w.next_subnet = -(-w.next_subnet // block) * block  # align the subtree
        first = w.next_subnet
        addrs += attach_many(w, edge, part, leaf_link, f"{prefix}e{g_i}.")
        prefix_len = 30 - (block.bit_length() - 1)
        w.route(core, f"{dotted((10 << 24) + 4 * first)}/{prefix_len}", ip_edge)
    return addrs


def bulk(out):
    w = World("bench-bulk", "ns-3 bulk: 100 MB over one 100 Mbps / 10 ms link")
    w.host("sender")
    w.host("receiver")
    w.link("sender", "receiver", {"delay": "10ms", "rate": "100Mbps", "queue": NS3_QUEUE},
           name="wire")
    w.app(id="sink", host="receiver", type="tcp_server", port=5001, mode="sink")
    w.app(id="bulk", host="sender", type="tcp_client", connect="receiver:5001", at="0s",
          send=100_000_000, close="after_send")
    tcp = dict(NS3_TCP, sndbuf="256KiB", rcvbuf="256KiB")
    w.write(out / "bulk.json", "20s", tcp,
            "One NewReno flow sends 100,000,000 bytes over a 100 Mbps / 10 ms link with a "
            "100-packet drop-tail queue and 256 KiB socket buffers. ns-3.48: done at 8.37 s "
            "simulated, 68,497 data and 34,250 ACK packets, 0.82 s wall.",
            expect=[{"app": "sink", "received": 100_000_000}])


def dumbbell_world(name, title, n, spacing_ns, duration, send, buffers, bottleneck_loss,
                   description, expect=None):
    w = World(name, title)
    left = w.host("left", forward=True)
    right = w.host("right", forward=True)
    senders = [w.host(f"s{i}") for i in range(n)]
    receivers = [w.host(f"r{i}") for i in range(n)]
    bottleneck = {"delay": "10ms", "rate": "1Gbps", "queue": NS3_QUEUE}
    if bottleneck_loss:
        bottleneck["loss"] = bottleneck_loss
    ip_l, ip_r = w.link(left, right, bottleneck, name="bottleneck")
    access = {"delay": "1ms", "rate": "1Gbps", "queue": NS3_QUEUE}
    attach_many(w, left, senders, access, "l")
    # The receivers' side numbered from 10.1.0.0/16: one route each way.
    assert w.next_subnet <= 1 << 14
    w.next_subnet = 1 << 14
    recv_addrs = attach_many(w, right, receivers, access, "r")
    w.route(left, "10.1.0.0/16", ip_r)
    w.route(right, "10.0.0.0/16", ip_l)
    for i in range(n):
        w.app(id=f"sink{i}", host=receivers[i], type="tcp_server", port=5001, mode="sink")
    for i in range(n):
        w.app(id=f"f{i}", host=senders[i], type="tcp_client",
              connect=f"{recv_addrs[i]}:5001", at=fmt_time(i * spacing_ns), send=send,
              close="after_send")
    tcp = dict(NS3_TCP, sndbuf=buffers, rcvbuf=buffers)
    return w, tcp


def dumbbell(out, n):
    w, tcp = dumbbell_world(
        f"bench-dumbbell-{n}", f"ns-3 dumbbell: {n} bulk flows through a 1 Gbps / 10 ms bottleneck",
        n, 1_000_000, "10s", "10GB", "1MiB", 0.001, "")
    w.write(out / f"dumbbell-{n}.json", "10s", tcp,
            f"{n} senders and {n} receivers on 1 Gbps / 1 ms access links; two routers joined "
            "by a 1 Gbps / 10 ms bottleneck losing 0.1% of frames in each direction; "
            f"{n} unlimited NewReno flows started 1 ms apart; 1 MiB buffers; 100-packet "
            "drop-tail queues; 10 s simulated." +
            (" The access links of each side end on edge routers joined to the side's "
             "router by ideal links (a host has at most 64 interfaces)."
             if n > MAX_IFACES - 1 else ""))


def star_world(name, title, n_clients, link, tcp, client_fields, server_fields):
    """One server, n clients each on its own `link` towards it."""
    w = World(name, title)
    server = w.host("server")
    clients = [w.host(f"c{i}") for i in range(n_clients)]
    attach_many(w, server, clients, link, "")
    w.app(id="srv", host=server, type="tcp_server", port=80, mode="sink", **server_fields)
    for i in range(n_clients):
        w.app(id=f"c{i}", host=clients[i], type="tcp_client", connect="server:80",
              **client_fields(i))
    return w


def short(out, n):
    step = 10**9 // n
    w = star_world(f"bench-short-{n}", f"ns-3 short connections: {n} clients of one server",
                   n, {"delay": "5ms", "rate": "100Mbps", "queue": NS3_QUEUE}, NS3_TCP,
                   lambda i: {"at": fmt_time(i * step), "send": 1024, "close": "after_send"},
                   {})
    w.write(out / f"short-{n}.json", "10s", NS3_TCP,
            f"{n} clients, each on its own 100 Mbps / 5 ms link to one server; client i "
            f"connects at i*(1s/{n}), sends 1,024 bytes and closes; the server closes when "
            "it sees the FIN; 10 s simulated." +
            (" The client links end on edge routers joined to the server by ideal links "
             "(a host has at most 64 interfaces)." if n > MAX_IFACES - 1 else ""),
            expect=[{"app": "srv", "received": 1024 * n}, {"app": "srv", "connections": n}])


def flows(out, n):
    """Scaling in flows: n flows between one pair of hosts share 100 MB."""
    w = World(f"bench-flows-{n}", f"Scaling: {n} flows share 100 MB over one 1 Gbps / 10 ms link")
    w.host("a")
    w.host("b")
    w.link("a", "b", {"delay": "10ms", "rate": "1Gbps", "queue": 1000}, name="wire")
    w.app(id="sink", host="b", type="tcp_server", port=5001, mode="sink", backlog=4096)
    step = 10**9 // n
    each = 100_000_000 // n
    for i in range(n):
        w.app(id=f"f{i}", host="a", type="tcp_client", connect="b:5001", at=fmt_time(i * step),
              send=each, close="after_send")
    tcp = dict(NS3_TCP, sndbuf="1MiB", rcvbuf="1MiB")
    w.write(out / f"flows-{n}.json", "10s", tcp,
            f"{n} NewReno flows from host a to host b over one 1 Gbps / 10 ms link (queue "
            f"1000); flow i starts at i*(1s/{n}) and sends {each:,} bytes (100 MB in all), "
            "then closes; 10 s simulated. The work is nearly the same for every n: the "
            "wall time shows what each flow costs beyond its packets.",
            expect=[{"app": "sink", "received": each * n}])


def idle(out, n):
    """n established connections that stay open and silent."""
    n_hosts = 50  # each client host opens n/50 connections (ephemeral ports: 28,232)
    w = World(f"bench-idle-{n}", f"{n} idle established connections")
    server = w.host("server")
    hosts = [w.host(f"h{i}") for i in range(n_hosts)]
    attach_many(w, server, hosts, {"delay": "1ms", "rate": "1Gbps", "queue": 1000}, "")
    w.app(id="srv", host=server, type="tcp_server", port=80, mode="sink", close="never",
          backlog=65535)
    step = 10**9 // n
    for i in range(n):
        w.app(id=f"c{i}", host=hosts[i % n_hosts], type="tcp_client", connect="server:80",
              at=fmt_time(i * step), close="never")
    w.write(out / f"idle-{n}.json", "2s", NS3_TCP,
            f"{n} clients on {n_hosts} hosts connect to one server over 1 Gbps / 1 ms links, "
            f"one every {fmt_time(step)} during the first second, and stay open without "
            "sending: the peak memory divided by the connections is the cost of an idle "
            "established connection (two sockets, one at each end).",
            expect=[{"app": "srv", "connections": n}])


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else \
        pathlib.Path(__file__).resolve().parent.parent / "scenarios" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    bulk(out)
    for n in (10, 20, 50, 100):
        dumbbell(out, n)
    for n in (10, 100, 1000, 10000):
        short(out, n)
    for n in (1, 10, 100, 1000, 10000):
        flows(out, n)
    for n in (10000, 100000):
        idle(out, n)


if __name__ == "__main__":
    main()
