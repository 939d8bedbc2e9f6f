#!/usr/bin/python3
"""A VIP moved without a gratuitous ARP, seen by a UDP client. Usage: vip_udp.py vip-no-garp-udp [--reps N]

The TCP side of this story is vip.py's vip-no-garp (a MariaDB client through the VIP). Here the
client on app1 sends one UDP datagram to VIP:9 every 50 ms and an echo server on each db host
answers with its name. UDP traffic never confirms the client's neighbour entry (only TCP progress
and ARP replies do), so the entry for the VIP goes STALE after its reachable time whatever the
traffic, and the first datagram after that starts DELAY (5 s) and three unicast probes (1 s
apart) towards the dead host, then a broadcast that db2 answers. A TCP client confirms the entry
on every ACK until the fault, so it starts the same sequence a full reachable time later.

  vip-no-garp-udp  db1 holds the VIP; at 10 s its host dies (link down, echo server stopped); 1 s
                   later a script raises the VIP on db2 (ip addr add) without a gratuitous ARP.
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hsv  # noqa: E402
from hsv import ROOT, log, now, sh, write_result  # noqa: E402
from vip import HOSTS, NET, VIP, crash_host, enter, mac_of, make_segment, neigh_watch, ns  # noqa: E402

ECHO = ("import socket,sys\n"
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
        "s.bind(('0.0.0.0',9))\n"
        "while True:\n"
        "    d,a=s.recvfrom(64)\n"
        "    s.sendto(sys.argv[1].encode()+b' '+d,a)\n")


def echo_server(h):
    return hsv.spawn(["ip", "netns", "exec", ns(h), sys.executable, "-c", ECHO, h], f"{ROOT}/{h}-echo.log")


def one(r):
    make_segment()
    e1, e2 = echo_server("db1"), echo_server("db2")
    sh(f"ip -n {ns('db1')} addr add {VIP}/24 dev eth0")
    sh(f"ip netns exec {ns('db1')} arping -q -U -c 1 -I eth0 {VIP}", check=False)
    time.sleep(0.5)
    mac2 = mac_of("db2")
    result = {}

    def client_side():
        enter("app1")
        t0 = now()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.05)
        replies, nb, stop = [], [], threading.Event()
        neigh_watch(t0, nb, stop)
        fault = {}

        def sender():
            seq = 0
            while not stop.is_set():
                seq += 1
                try:
                    s.sendto(str(seq).encode(), (VIP, 9))
                except OSError:
                    pass
                time.sleep(0.05)
        threading.Thread(target=sender, daemon=True).start()

        def faults():
            time.sleep(10)
            crash_host("db1", [e1])
            fault["tf"] = now() - t0
            time.sleep(1.0)
            sh(f"ip -n {ns('db2')} addr add {VIP}/24 dev eth0")
            fault["tv"] = now() - t0
        threading.Thread(target=faults, daemon=True).start()
        end = now() + 70
        while now() < end:
            try:
                d, _ = s.recvfrom(64)
                replies.append((now() - t0, d.split()[0].decode()))
            except (socket.timeout, OSError):
                pass
        stop.set()
        result.update(replies=replies, nb=nb, **fault)
    th = threading.Thread(target=client_side)
    th.start()
    th.join(120)
    tf, tv, nb, replies = result["tf"], result["tv"], result["nb"], result["replies"]
    switched = next((t for t, mac, st in nb if t >= tf and mac == mac2), None)
    first_db2 = next((t for t, h in replies if h == "db2"), None)
    row = {"rep": r + 1,
           "arp_points_to_db2_after": round(switched - tf, 3) if switched else None,
           "first_reply_from_db2_after_vip_raised": round(first_db2 - tv, 3) if first_db2 else None,
           "no_replies_for": round(first_db2 - tf, 3) if first_db2 else None,
           "arp_states_after_fault": sorted({st for t, mac, st in nb if t >= tf})}
    del e2
    return row


def run(reps):
    rows = hsv.repeat(reps, one)
    write_result("vip-no-garp-udp",
                 "db1 holds the VIP; at 10 s its host dies (link down, its UDP echo server stopped); 1 s later a "
                 "script raises the VIP on db2 (ip addr add) without a gratuitous ARP. The client on app1 sends one "
                 "UDP datagram to the VIP every 50 ms; each db host echoes with its name.",
                 "network namespaces hsv-app1/db1/db2 on a bridge (as vip.py); the client's neighbour entry for the "
                 "VIP sampled every 50 ms (ip neigh); the TCP side of the same story is vip-no-garp.", rows)


if __name__ == "__main__":
    assert HOSTS and NET
    hsv.main({"vip-no-garp-udp": run})
