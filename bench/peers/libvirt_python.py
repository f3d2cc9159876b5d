#!/usr/bin/python3
"""Peer benchmark: lookup + info through libvirt-python, serial and with N threads.
Prints one JSON line: {"serial_ops_per_s": .., "concurrent_ops_per_s": ..}."""
import json, sys, threading, time
import libvirt

uri, name, n, conc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
conn = libvirt.open(uri)

def op():
    conn.lookupByName(name).info()

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
