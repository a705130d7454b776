#!/usr/bin/env python3
"""Writes the stress worlds: every link impaired at once, links flapping every
100 ms, and a SYN flood against a small backlog.  Each world pins down that
every byte arrives intact and every connection ends in the outcome it must.
A reduced size goes to scenarios/stress/ (run with the scenario library, so in
CI); the full size to scenarios/bench/stress-*.json (run by tools/bench.sh)."""
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios")
REDUCED = os.path.join(ROOT, "stress")
FULL = os.path.join(ROOT, "bench")


def write(out, name, world):
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(world, f, indent=1)
        f.write("\n")


def star(n_pairs, link):
    """n_pairs clients and n_pairs servers around two routers."""
    hosts = [{"name": "r1", "forward": True}, {"name": "r2", "forward": True}]
    links = [dict({"name": "core", "a": "r1", "b": "r2", "delay": "5ms", "rate": "100Mbps"}, **link)]
    for i in range(n_pairs):
        hosts += [{"name": f"c{i}"}, {"name": f"s{i}"}]
        links.append(dict({"name": f"lc{i}", "a": f"c{i}", "b": "r1", "delay": "1ms",
                           "rate": "10Mbps"}, **link))
        links.append(dict({"name": f"ls{i}", "a": f"s{i}", "b": "r2", "delay": "1ms",
                           "rate": "10Mbps"}, **link))
    return hosts, links


def transfers(n_pairs, size):
    apps, expect = [], []
    for i in range(n_pairs):
        apps.append({"id": f"srv{i}", "host": f"s{i}", "type": "tcp_server", "port": 80,
                     "mode": "sink"})
        apps.append({"id": f"up{i}", "host": f"c{i}", "type": "tcp_client",
                     "connect": f"s{i}:80", "at": f"{i}ms", "send": size, "close": "after_send"})
        expect.append({"app": f"srv{i}", "received": size})
        expect.append({"conn": f"up{i}", "outcome": "established"})
    return apps, expect


def chaos(out, name, n):
    impair = {"loss": 0.1, "reorder": 0.05, "duplicate": 0.05, "jitter": "2ms", "queue": 50}
    hosts, links = star(n, impair)
    apps, expect = transfers(n, 100000)
    write(out, name, {
        "name": "stress-chaos",
        "title": "Every link loses 10%, reorders and duplicates 5%: every byte still arrives",
        "description": {
            "en": f"{n} transfers cross two routers; every link in the world loses, reorders, "
                  "duplicates and jitters frames, so a frame crossing three links is lost more "
                  "than a quarter of the time. Retransmission timeouts back off to their two-"
                  "minute cap and some transfers take most of an hour, but TCP delivers every "
                  "byte of every stream exactly once, in order, intact.",
            "ko": f"{n}개의 전송이 라우터 두 대를 지납니다. 모든 링크가 프레임을 잃고, 순서를 바꾸고, "
                  "중복시키고, 지연을 흔들어서, 링크 세 개를 지나는 프레임은 4분의 1 넘게 사라집니다. "
                  "재전송 타임아웃은 상한인 2분까지 늘어나고 어떤 전송은 거의 한 시간이 걸리지만, TCP는 "
                  "모든 스트림의 모든 바이트를 정확히 한 번, 순서대로, 손상 없이 전달합니다."},
        "seed": 21, "duration": "3h",
        "hosts": hosts, "links": links, "apps": apps, "expect": expect})


def flap(out, name, n):
    hosts, links = star(n, {})
    apps, expect = transfers(n, 200000)
    events = []
    for k in range(100):  # the core link goes down for 30 ms every 100 ms, for 10 s
        events.append({"at": f"{100 * k + 50}ms", "link": "core", "do": "down"})
        events.append({"at": f"{100 * k + 80}ms", "link": "core", "do": "up"})
    write(out, name, {
        "name": "stress-flap",
        "title": "The core link flaps every 100 ms for ten seconds",
        "description": {
            "en": f"{n} transfers share a core link that goes down for 30 ms every 100 ms for ten "
                  "seconds. Frames in flight are lost again and again; every stream still "
                  "completes intact once the link settles.",
            "ko": f"{n}개의 전송이 10초 동안 100ms마다 30ms씩 끊기는 코어 링크를 함께 씁니다. 전송 중인 "
                  "프레임이 거듭 사라지지만, 링크가 안정되면 모든 스트림이 손상 없이 끝납니다."},
        "seed": 4, "duration": "10min",
        "hosts": hosts, "links": links, "apps": apps, "events": events, "expect": expect})


def syn_flood(out, name, n_legit, n_flood, backlog):
    hosts = [{"name": "server"}, {"name": "router", "forward": True}, {"name": "mallory"}]
    links = [{"name": "uplink", "a": "server", "b": "router", "delay": "1ms", "rate": "100Mbps"},
             {"name": "dark", "a": "mallory", "b": "router", "delay": "2ms", "rate": "10Mbps"}]
    apps = [{"id": "srv", "host": "server", "type": "tcp_server", "port": 80, "mode": "sink",
             "backlog": backlog}]
    expect = [{"app": "srv", "received": n_legit * 1000}]
    # The flood: SYNs whose SYN,ACKs never come back, so each holds a place in
    # the backlog until the server gives up on it.
    for i in range(n_flood):
        apps.append({"id": f"f{i}", "host": "mallory", "type": "tcp_client",
                     "connect": "server:80", "at": "0ms", "send": 0, "close": "never"})
        expect.append({"conn": f"f{i}", "outcome": "timeout"})
    faults = [{"link": "dark", "from": "router", "drop": {"tcp_flags": "SYN,ACK"}}]
    for g in range(4):  # legitimate clients on 4 hosts, one every 25 ms from 100 ms
        hosts.append({"name": f"h{g}"})
        links.append({"name": f"l{g}", "a": f"h{g}", "b": "router", "delay": "2ms",
                      "rate": "10Mbps"})
    for i in range(n_legit):
        apps.append({"id": f"c{i}", "host": f"h{i % 4}", "type": "tcp_client",
                     "connect": "server:80", "at": f"{100 + 25 * i}ms", "send": 1000,
                     "close": "after_send"})
        expect.append({"conn": f"c{i}", "outcome": "established"})
    write(out, name, {
        "name": "stress-syn-flood",
        "title": f"{n_flood} SYNs fill a backlog of {backlog}; {n_legit} clients get in as it drains",
        "description": {
            "en": f"{n_flood} SYNs from mallory, whose SYN,ACKs never return, fill the server's "
                  f"backlog of {backlog} half-open connections. {n_legit} legitimate clients arrive "
                  "afterwards: their SYNs are dropped while the backlog is full, and they "
                  "retransmit with exponential backoff. When the server gives up on the flood's "
                  "half-open connections, the legitimate clients take the freed places; every "
                  "one of them is served, every flood connection times out.",
            "ko": f"mallory가 보낸 SYN {n_flood}개는 SYN,ACK가 돌아가지 않아, 반쯤 열린 연결 {backlog}개를 "
                  "담는 서버의 대기열(backlog)을 채웁니다. 그 뒤에 온 정상 클라이언트 "
                  f"{n_legit}개의 SYN은 대기열이 "
                  "찬 동안 버려지고, 클라이언트들은 지수 백오프로 다시 보냅니다. 서버가 공격 연결을 "
                  "포기하면 정상 클라이언트가 빈자리를 차지하여 모두 처리되고, 공격 연결은 모두 시간 초과로 "
                  "끝납니다."},
        "seed": 9, "duration": "10min",
        "hosts": hosts, "links": links, "apps": apps, "faults": faults, "expect": expect})


if __name__ == "__main__":
    os.makedirs(REDUCED, exist_ok=True)
    chaos(REDUCED, "chaos", 12)
    flap(REDUCED, "flap", 4)
    syn_flood(REDUCED, "syn-flood", 40, 16, 8)
    # Full size: two routers take at most 63 pairs (64 interfaces a host).
    chaos(FULL, "stress-chaos", 60)
    flap(FULL, "stress-flap", 60)
    syn_flood(FULL, "stress-syn-flood", 1000, 128, 64)
