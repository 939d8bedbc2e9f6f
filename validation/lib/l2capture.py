"""Layer-2 capture of the frames a namespace's interface sees: ARP and VRRP (IP protocol 112),
with the kernel's timestamps, so an experiment can say who sent which gratuitous ARP or advert
when, instead of inferring it from the client's neighbour table.

tcpdump -e runs inside the namespace (on the client's eth0 it sees every broadcast and multicast
of the segment plus the unicast ARP addressed to the client) until stop(); the process is
registered with hsv so cleanup() kills it even on an interrupted run.
"""
import os
import re
import subprocess
import time

import hsv

_LINE = re.compile(r"^(\d+\.\d+) ([0-9a-f:]{17}) > ([0-9a-f:]{17}), ethertype (\w+).*?: (.*)$")


class L2Capture:
    def __init__(self, netns, iface="eth0", name="l2"):
        self.netns, self.iface = netns, iface
        self.path = f"{hsv.ROOT}/{name}-{netns}.pcap.txt"
        self.proc = None

    def start(self):
        """Starts tcpdump and waits until it listens (its 'listening on' line), so no frame
        of the experiment is missed."""
        os.makedirs(hsv.ROOT, exist_ok=True)
        self.out = open(self.path, "w")
        self.err_path = self.path + ".err"
        err = open(self.err_path, "w")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.netns, "tcpdump", "-i", self.iface, "-e", "-n", "-tt", "-l",
             "--immediate-mode", "arp or ip proto 112"],
            stdout=self.out, stderr=err, start_new_session=True)
        hsv._procs.append(self.proc)
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(self.err_path) as f:
                if "listening on" in f.read():
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"tcpdump in {self.netns} did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.out.close()

    def frames(self, macs, t0_epoch):
        """The captured frames as dicts: t (s after t0_epoch), src/dst (host names where the MAC
        is known), kind ('garp', 'arp-request', 'arp-reply', 'vrrp'), and for VRRP the priority.
        A gratuitous ARP is an ARP whose sender and target IP are the same (as Linux's
        arp_is_garp tests it)."""
        names = {m.lower(): h for h, m in macs.items()}
        out = []
        with open(self.path) as f:
            for line in f:
                m = _LINE.match(line.strip())
                if not m:
                    continue
                t, src, dst, etype, rest = float(m[1]), m[2], m[3], m[4], m[5]
                fr = {"t": round(t - t0_epoch, 4), "src": names.get(src, src),
                      "dst": "bcast" if dst == "ff:ff:ff:ff:ff:ff" else names.get(dst, dst)}
                if etype == "ARP":
                    a = re.search(r"(Request|Reply) (?:who-has )?(\S+)(?: \(\S+\))?(?: tell| is-at) (\S+)", rest)
                    if not a:
                        continue
                    op, x, y = a[1], a[2], a[3].rstrip(",")
                    if op == "Request":
                        fr["kind"] = "garp" if x == y else "arp-request"
                        fr["who_has"], fr["tell"] = x, y
                    else:
                        fr["kind"] = "arp-reply"
                        fr["ip"] = x
                else:
                    v = re.search(r"(\S+) > 224\.0\.0\.18: VRRPv\d, Advertisement, vrid (\d+), prio (\d+)", rest)
                    if not v:
                        continue
                    fr["kind"], fr["prio"] = "vrrp", int(v[3])
                out.append(fr)
        return out
