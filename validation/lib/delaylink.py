"""A switch with link delay, in user space: this kernel has no sch_netem (and no loadable
modules), so `tc netem delay` is impossible here. Each host namespace gets a TAP device as its
eth0; one Python thread reads every frame from every TAP, learns source MACs, and writes the
frame to its destination port (or floods it) `delay` seconds later, in order per port. A frame
between two hosts thus crosses one delay: the one-way link delay of the story.

What it costs by itself is measured by the same experiment at delay 0 (the switch's own
forwarding time, a few tens of microseconds per frame), and reported beside the figures.
"""
import collections
import fcntl
import heapq
import os
import select
import struct
import threading
import time

import hsv

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


class DelaySwitch:
    """Hosts `names` (namespaces hsv-NAME), addresses NET.1.. in order; one-way delay in seconds."""

    def __init__(self, names, net, delay=0.0):
        self.delay = delay
        self.ports = []          # fd per port
        self.macs = {}           # MAC -> port
        self.stop = threading.Event()
        for i, h in enumerate(names, 1):
            ns = f"hsv-{h}"
            hsv.netns_add(ns)
            tap = f"hsv-t{i}"
            fd = open_tap(tap)
            hsv.sh(f"ip link set {tap} netns {ns} && ip -n {ns} link set {tap} name eth0")
            hsv.sh(f"ip -n {ns} addr add {net}.{i}/24 dev eth0 && ip -n {ns} link set eth0 up "
                   f"&& ip -n {ns} link set lo up")
            self.ports.append(fd)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        due = []                 # heap of (time, seq, port, frame)
        seq = 0
        last = collections.defaultdict(float)   # per port: frames leave in the order they came
        while not self.stop.is_set():
            timeout = 0.05 if not due else max(0.0, due[0][0] - time.monotonic())
            r, _, _ = select.select(self.ports, [], [], timeout)
            t = time.monotonic()
            for fd in r:
                src = self.ports.index(fd)
                while True:
                    try:
                        frame = os.read(fd, 65536)
                    except BlockingIOError:
                        break
                    if len(frame) < 14:
                        continue
                    self.macs[frame[6:12]] = src
                    dst = self.macs.get(frame[0:6])
                    outs = [dst] if dst is not None and not (frame[0] & 1) else \
                        [p for p in range(len(self.ports)) if p != src]
                    for p in outs:
                        when = max(t + self.delay, last[p])
                        last[p] = when
                        heapq.heappush(due, (when, seq, p, frame))
                        seq += 1
            t = time.monotonic()
            while due and due[0][0] <= t:
                _, _, p, frame = heapq.heappop(due)
                try:
                    os.write(self.ports[p], frame)
                except OSError:
                    pass     # a host whose link is down: the frame is lost, as on a wire

    def close(self):
        self.stop.set()
        self.thread.join(2)
        for fd in self.ports:
            os.close(fd)
