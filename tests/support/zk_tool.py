#!/usr/bin/python3
"""ZooKeeper inspection for Brook's tests: a kazoo client, independent of the code under test.

    zk_tool.py HOSTS children|exists|get|owner|dump|create|set|delete PATH [DATA]
    zk_tool.py HOSTS cluster CHROOT [TOPIC...]
    zk_tool.py HOSTS monitor CHROOT TOPIC VICTIM_ID [POLL_MS]

HOSTS is a connect string without chroot ("127.0.0.1:2181,127.0.0.1:2182"); paths are absolute.
Exit codes: 0 ok, 3 no such node, 2 anything else (message on stderr).

`cluster` prints one record per line (C++ parses them, see tests/support/zk_reader.h):
    broker <id>
    controller <broker id or -1> <ephemeral owner or 0> <data mzxid or 0>
    epoch <controller epoch or -1> <zk version or -1>
    ids_pzxid <pzxid of CHROOT/brokers/ids>
    topic <name> <partition count in the assignment>
    partition <topic> <p> <leader> <leader_epoch> <controller_epoch> <zk version> <mzxid> isr=<a,b> replicas=<a,b>
A partition without a state znode has leader -2. Every get is pipelined (kazoo async), so 1,000
partition states cost one round of requests in flight together, not 1,000 round trips.

`monitor` runs until killed and prints timestamped events, the time being
time.monotonic() (CLOCK_MONOTONIC, the clock of C++'s steady_clock), flushed per line:
    ready <t>                                 connected, initial state read
    controller <t> <broker id or -1> <epoch>  whenever /controller or /controller_epoch changes
    victim_gone <t>                           CHROOT/brokers/ids/VICTIM disappeared
    leaders_moved <t> <n>                     first poll in which no partition of TOPIC is led by
                                              VICTIM and every leader is a registered broker
    poll <t> <ms>                             duration of a full state poll (resolution), once
"""
import json
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError


def connect(hosts):
    zk = KazooClient(hosts=hosts, timeout=10.0)
    try:
        zk.start(timeout=15)
    except Exception as e:  # noqa: BLE001 (kazoo raises several types)
        sys.stderr.write("kazoo cannot connect to %s: %r\n" % (hosts, e))
        sys.exit(2)
    return zk


def get_many(zk, paths):
    """[(data or None, stat or None)] for paths, all requests in flight together."""
    asyncs = [zk.get_async(p) for p in paths]
    out = []
    for a in asyncs:
        try:
            out.append(a.get(timeout=30))
        except NoNodeError:
            out.append((None, None))
    return out


def children_or_empty(zk, path):
    try:
        return zk.get_children(path)
    except NoNodeError:
        return []


def ints(xs):
    return ",".join(str(x) for x in xs)


def cluster(zk, chroot, topics, out):
    ids = sorted(int(b) for b in children_or_empty(zk, chroot + "/brokers/ids"))
    for b in ids:
        out.append("broker %d" % b)
    (cdata, cstat), (edata, estat) = get_many(zk, [chroot + "/controller", chroot + "/controller_epoch"])
    if cdata is not None:
        try:
            cid = int(json.loads(cdata.decode())["brokerid"])
        except Exception:  # noqa: BLE001
            cid = -1
        out.append("controller %d %d %d" % (cid, cstat.ephemeralOwner, cstat.mzxid))
    else:
        out.append("controller -1 0 0")
    if edata is not None:
        out.append("epoch %d %d" % (int(edata.decode() or "-1"), estat.version))
    else:
        out.append("epoch -1 -1")
    st = zk.exists(chroot + "/brokers/ids")
    out.append("ids_pzxid %d" % (st.pzxid if st else 0))
    if not topics:
        topics = sorted(children_or_empty(zk, chroot + "/brokers/topics"))
    assignments = get_many(zk, [chroot + "/brokers/topics/" + t for t in topics])
    state_paths, keys = [], []
    for t, (adata, _) in zip(topics, assignments):
        if adata is None:
            continue
        parts = json.loads(adata.decode()).get("partitions", {})
        out.append("topic %s %d" % (t, len(parts)))
        for p in sorted(parts, key=int):
            state_paths.append("%s/brokers/topics/%s/partitions/%s/state" % (chroot, t, p))
            keys.append((t, int(p), parts[p]))
    for (t, p, replicas), (sdata, sstat) in zip(keys, get_many(zk, state_paths)):
        if sdata is None:
            out.append("partition %s %d -2 -1 -1 -1 0 isr= replicas=%s" % (t, p, ints(replicas)))
            continue
        s = json.loads(sdata.decode())
        out.append("partition %s %d %d %d %d %d %d isr=%s replicas=%s" % (
            t, p, s["leader"], s["leader_epoch"], s["controller_epoch"], sstat.version,
            sstat.mzxid, ints(s["isr"]), ints(replicas)))


def monitor(zk, chroot, topic, victim, poll_ms):
    def emit(*fields):
        sys.stdout.write(" ".join(str(f) for f in fields) + "\n")
        sys.stdout.flush()

    lock = threading.Lock()
    last_controller = [None]

    def controller_changed(*_):
        with lock:
            (cdata, _), (edata, _) = get_many(zk, [chroot + "/controller", chroot + "/controller_epoch"])
            now = time.monotonic()
            cid = json.loads(cdata.decode())["brokerid"] if cdata else -1
            epoch = int(edata.decode()) if edata else -1
            if (cid, epoch) != last_controller[0]:
                last_controller[0] = (cid, epoch)
                emit("controller", "%.6f" % now, cid, epoch)
        # kazoo watches are one-shot: arm again on both nodes.
        zk.exists(chroot + "/controller", watch=controller_changed)
        zk.exists(chroot + "/controller_epoch", watch=controller_changed)

    victim_path = "%s/brokers/ids/%d" % (chroot, victim)
    gone = threading.Event()

    def victim_changed(event=None):
        if not zk.exists(victim_path, watch=victim_changed):
            if not gone.is_set():
                gone.set()
                emit("victim_gone", "%.6f" % time.monotonic())

    assignment = json.loads(zk.get("%s/brokers/topics/%s" % (chroot, topic))[0].decode())
    paths = ["%s/brokers/topics/%s/partitions/%s/state" % (chroot, topic, p)
             for p in sorted(assignment["partitions"], key=int)]
    controller_changed()
    victim_changed()
    emit("ready", "%.6f" % time.monotonic())
    reported_poll = False
    while True:
        t0 = time.monotonic()
        states = get_many(zk, paths)
        live = set(int(b) for b in children_or_empty(zk, chroot + "/brokers/ids"))
        t1 = time.monotonic()
        if not reported_poll:
            emit("poll", "%.6f" % t1, "%.1f" % ((t1 - t0) * 1000))
            reported_poll = True
        ok = all(d is not None for d, _ in states)
        if ok and gone.is_set():
            leaders = [json.loads(d.decode())["leader"] for d, _ in states]
            if all(l != victim and l in live for l in leaders):
                # Attribute the moment to the middle of the poll that first saw it.
                emit("leaders_moved", "%.6f" % ((t0 + t1) / 2), len(leaders))
                gone.clear()
                victim = -1000  # report once
        time.sleep(poll_ms / 1000.0)


def dump(zk, path, depth, out):
    name = path.rsplit("/", 1)[-1] or "/"
    value, stat = zk.get(path)
    shown = (value or b"").decode("utf-8", "replace")
    if len(shown) > 200:
        shown = shown[:200] + "..."
    eph = " (ephemeral)" if stat.ephemeralOwner else ""
    out.write(("%s%s%s %s\n" % ("  " * depth, name, eph, shown)).encode())
    for c in sorted(zk.get_children(path)):
        dump(zk, path.rstrip("/") + "/" + c, depth + 1, out)


def main():
    hosts, op, path = sys.argv[1], sys.argv[2], sys.argv[3]
    rest = sys.argv[4:]
    zk = connect(hosts)
    out = sys.stdout.buffer
    try:
        if op == "children":
            out.write("\n".join(sorted(zk.get_children(path))).encode())
        elif op == "exists":
            out.write(b"1" if zk.exists(path) else b"0")
        elif op == "get":
            out.write(zk.get(path)[0] or b"")
        elif op == "owner":
            st = zk.exists(path)
            if st is None:
                raise NoNodeError()
            out.write(str(st.ephemeralOwner).encode())
        elif op == "dump":
            dump(zk, path, 0, out)
        elif op == "create":
            zk.create(path, rest[0].encode() if rest else b"", makepath=True)
        elif op == "set":
            zk.set(path, rest[0].encode() if rest else b"")
        elif op == "delete":
            zk.delete(path, recursive=True)
        elif op == "cluster":
            lines = []
            cluster(zk, path, rest, lines)
            out.write(("\n".join(lines) + "\n").encode())
        elif op == "monitor":
            poll_ms = int(rest[2]) if len(rest) > 2 else 20
            monitor(zk, path, rest[0], int(rest[1]), poll_ms)
        else:
            sys.stderr.write("unknown op " + op + "\n")
            sys.exit(2)
    except NoNodeError:
        sys.stderr.write("no node " + path + "\n")
        sys.exit(3)
    finally:
        out.flush()
        zk.stop()
        zk.close()


if __name__ == "__main__":
    main()
