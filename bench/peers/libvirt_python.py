#!/usr/bin/python3
"""Peer benchmark: lookup + info through libvirt-python, serial and with N threads.
Usage: libvirt_python.py URI NAME N CONC [--event-loop]
With --event-loop, libvirt's default event loop runs in a thread and keepalive is on, as a
service that wants events and dead-daemon detection must run it (virtkit always does).
Prints one JSON line: {"serial_ops_per_s": .., "concurrent_ops_per_s": ..}."""
import json, sys, threading, time
import libvirt

uri, name, n, conc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if "--event-loop" in sys.argv[5:]:
    libvirt.virEventRegisterDefaultImpl()
    def run():
        while True:
            libvirt.virEventRunDefaultImpl()
    threading.Thread(target=run, daemon=True).start()
conn = libvirt.open(uri)
if "--event-loop" in sys.argv[5:]:
    conn.setKeepAlive(5, 3)

def op():
    conn.lookupByName(name).info()

for _ in range(200):
    op()
t0 = time.perf_counter()
for _ in range(n):
    op()
serial = n / (time.perf_counter() - t0)

per = n // conc
def worker():
    for _ in range(per):
        op()
threads = [threading.Thread(target=worker) for _ in range(conc)]
t0 = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
concurrent = per * conc / (time.perf_counter() - t0)
conn.close()
print(json.dumps({"serial_ops_per_s": serial, "concurrent_ops_per_s": concurrent}))
