#!/usr/bin/env bash
# The docker/ compose topology as local processes: a 3-node ZooKeeper ensemble and two Brook
# clusters of 3 brokers each, cluster "a" under chroot /brook-a and cluster "b" under /brook-b,
# both with broker.id 1..3 (ids collide across clusters on purpose: chroots isolate them).
#
#   tools/local-topology.sh start        start the ensemble, then both clusters (fails if any part runs)
#   tools/local-topology.sh stop         stop exactly the processes recorded in the pid files
#   tools/local-topology.sh status       one line per process: running (pid) or stopped
#   tools/local-topology.sh bootstrap a  bootstrap list of cluster a (or b)
#   tools/local-topology.sh zk-connect   the ensemble's connect string (no chroot)
#
# Environment (defaults in brackets):
#   BROOK_BUILD_DIR          build dir, relative to the repo root or absolute [build]
#   BROOK_SERVER_BINARY      brook-server to run [$BROOK_BUILD_DIR/broker/brook-server]
#   BROOK_TOPOLOGY_DIR       configs, data, logs and pid files [/tmp/brook-topology]
#   BROOK_ZK_PORTS           client ports of the 3 ZooKeeper nodes ["2181 2182 2183"]
#   BROOK_ZK_PEER_PORTS      quorum ports ["2888 2889 2890"]
#   BROOK_ZK_ELECTION_PORTS  leader election ports ["3888 3889 3890"]
#   BROOK_A_PORTS            Kafka ports of brokers 1..3 of cluster a ["9092 9093 9094"]
#   BROOK_B_PORTS            Kafka ports of brokers 1..3 of cluster b ["9192 9193 9194"]
#   BROOK_A_CHROOT, BROOK_B_CHROOT   [/brook-a, /brook-b]
#   BROOK_SESSION_TIMEOUT_MS zookeeper.session.timeout.ms of every broker [18000]
#   BROOK_EXTRA_PROPERTIES   extra server.properties lines for every broker, "k=v" separated by
#                            spaces or newlines [none]
#   BROOK_START_TIMEOUT_S    how long start waits for the ensemble and for each cluster [90]
#
# Files: $BROOK_TOPOLOGY_DIR/zk-<n>/{zoo.cfg,data/myid,zookeeper.log},
# $BROOK_TOPOLOGY_DIR/<a|b>-broker-<id>/{server.properties,server.log,data/},
# $BROOK_TOPOLOGY_DIR/pids/<member>.pid with member zk-1..3, a-broker-1..3, b-broker-1..3.
# stop signals a pid only while its command line still names $BROOK_TOPOLOGY_DIR, so a recycled
# pid is never hit: SIGTERM to the brokers (they deregister), then the ensemble; SIGKILL after 15 s.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BROOK_BUILD_DIR:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
SERVER=${BROOK_SERVER_BINARY:-$BUILD_DIR/broker/brook-server}
DIR=${BROOK_TOPOLOGY_DIR:-/tmp/brook-topology}
read -r -a ZK_PORTS <<<"${BROOK_ZK_PORTS:-2181 2182 2183}"
read -r -a ZK_PEER_PORTS <<<"${BROOK_ZK_PEER_PORTS:-2888 2889 2890}"
read -r -a ZK_ELECTION_PORTS <<<"${BROOK_ZK_ELECTION_PORTS:-3888 3889 3890}"
read -r -a A_PORTS <<<"${BROOK_A_PORTS:-9092 9093 9094}"
read -r -a B_PORTS <<<"${BROOK_B_PORTS:-9192 9193 9194}"
A_CHROOT=${BROOK_A_CHROOT:-/brook-a}
B_CHROOT=${BROOK_B_CHROOT:-/brook-b}
SESSION_TIMEOUT_MS=${BROOK_SESSION_TIMEOUT_MS:-18000}
EXTRA_PROPERTIES=${BROOK_EXTRA_PROPERTIES:-}
START_TIMEOUT_S=${BROOK_START_TIMEOUT_S:-90}
PID_DIR=$DIR/pids
ZK_CLASSPATH=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar
CLUSTERS=(a b)

say() { echo "local-topology: $*"; }
die() { echo "local-topology: error: $*" >&2; exit 1; }

for list in ZK_PORTS ZK_PEER_PORTS ZK_ELECTION_PORTS A_PORTS B_PORTS; do
    declare -n ref=$list
    ((${#ref[@]} == 3)) || die "$list needs exactly 3 ports, got '${ref[*]}'"
    unset -n ref
done

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ZooKeeper four-letter word $2 to client port $1 (empty if nothing answers).
four_letter() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf '%s' "$2" >&3 && timeout 2 cat <&3) 2>/dev/null || true
}

members() {
    local n c i
    for n in 1 2 3; do echo "zk-$n"; done
    for c in "${CLUSTERS[@]}"; do
        for i in 1 2 3; do echo "$c-broker-$i"; done
    done
}

cluster_ports() {  # $1 = a|b -> the three ports
    case $1 in
        a) echo "${A_PORTS[*]}" ;;
        b) echo "${B_PORTS[*]}" ;;
        *) die "unknown cluster '$1' (a or b)" ;;
    esac
}

cluster_chroot() { if [[ $1 == a ]]; then echo "$A_CHROOT"; else echo "$B_CHROOT"; fi; }

zk_connect() {
    local list="" p
    for p in "${ZK_PORTS[@]}"; do list+="${list:+,}127.0.0.1:$p"; done
    echo "$list"
}

bootstrap() {
    local list="" p
    for p in $(cluster_ports "$1"); do list+="${list:+,}127.0.0.1:$p"; done
    echo "$list"
}

# The pid recorded for member $1 if that process is alive and still ours (its command line
# names the topology dir).
live_pid() {
    local file=$PID_DIR/$1.pid pid
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DIR" || return 1
    echo "$pid"
}

# Exists at all (for the start-up loops: right after the fork the cmdline is still ours).
alive() { [[ -f $PID_DIR/$1.pid ]] && kill -0 "$(<"$PID_DIR/$1.pid")" 2>/dev/null; }

# Detached from this shell (^C in the terminal does not reach it), output to $2, pid recorded.
spawn() {
    local name=$1 log=$2 i
    shift 2
    nohup setsid "$@" >"$log" 2>&1 </dev/null &
    echo $! >"$PID_DIR/$name.pid"
    for ((i = 0; i < 50; i++)); do
        live_pid "$name" >/dev/null && return 0
        alive "$name" || return 0
        sleep 0.1
    done
}

fail() {
    echo "local-topology: error: $1" >&2
    if [[ -n ${2:-} && -f $2 ]]; then
        echo "last lines of $2:" >&2
        tail -n 20 "$2" >&2 || true
    fi
    stop_all >&2
    exit 1
}

start_ensemble() {
    local n servers="" dir
    for n in 1 2 3; do
        servers+="server.$n=127.0.0.1:${ZK_PEER_PORTS[n - 1]}:${ZK_ELECTION_PORTS[n - 1]}"$'\n'
    done
    for n in 1 2 3; do
        dir=$DIR/zk-$n
        mkdir -p "$dir/data"
        echo "$n" >"$dir/data/myid"
        cat >"$dir/zoo.cfg" <<CFG
tickTime=500
initLimit=20
syncLimit=10
dataDir=$dir/data
clientPort=${ZK_PORTS[n - 1]}
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
maxSessionTimeout=60000
$servers
CFG
        spawn "zk-$n" "$dir/zookeeper.log" java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
            -Dzookeeper.log.dir="$dir" -cp "$ZK_CLASSPATH" \
            org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg"
    done
    # Serving = `srvr` reports a Mode (leader or follower); until a quorum forms it says the
    # instance is not serving requests.
    local deadline=$((SECONDS + START_TIMEOUT_S)) serving
    while :; do
        serving=0
        for n in 1 2 3; do
            alive "zk-$n" || fail "zk-$n exited" "$DIR/zk-$n/zookeeper.log"
            [[ $(four_letter "${ZK_PORTS[n - 1]}" srvr) == *"Mode: "* ]] && serving=$((serving + 1))
        done
        ((serving == 3)) && break
        ((SECONDS < deadline)) || fail "ZooKeeper ensemble did not form within ${START_TIMEOUT_S}s" "$DIR/zk-1/zookeeper.log"
        sleep 0.3
    done
    say "zookeeper ensemble up: $(zk_connect)"
}

write_broker_config() {  # cluster id port
    local c=$1 id=$2 port=$3 dir=$DIR/$1-broker-$2 kv
    mkdir -p "$dir/data"
    {
        echo "# brook-server $id of cluster $c, written by tools/local-topology.sh (Kafka config keys)."
        echo "broker.id=$id"
        echo "listeners=PLAINTEXT://127.0.0.1:$port"
        echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port"
        echo "log.dirs=$dir/data"
        echo "zookeeper.connect=$(zk_connect)$(cluster_chroot "$c")"
        echo "zookeeper.session.timeout.ms=$SESSION_TIMEOUT_MS"
        echo "num.partitions=1"
        echo "default.replication.factor=1"
        echo "offsets.topic.replication.factor=3"
        echo "auto.create.topics.enable=true"
        echo "delete.topic.enable=true"
        for kv in $EXTRA_PROPERTIES; do echo "$kv"; done
    } >"$dir/server.properties"
}

start_cluster() {
    local c=$1 ports i=0 port first
    read -r -a ports <<<"$(cluster_ports "$c")"
    for port in "${ports[@]}"; do
        i=$((i + 1))
        write_broker_config "$c" "$i" "$port"
        spawn "$c-broker-$i" "$DIR/$c-broker-$i/server.log" "$SERVER" --config "$DIR/$c-broker-$i/server.properties"
    done
    first=${ports[0]}
    local deadline=$((SECONDS + START_TIMEOUT_S)) ready
    while :; do
        ready=1
        for i in 1 2 3; do
            alive "$c-broker-$i" || fail "$c-broker-$i exited" "$DIR/$c-broker-$i/server.log"
            port_in_use "${ports[i - 1]}" || ready=0
        done
        if ((ready)) && timeout 5 kcat -b "127.0.0.1:$first" -L -m 3 2>/dev/null | grep -q "^ 3 brokers:"; then
            break
        fi
        ((SECONDS < deadline)) || fail "cluster $c not ready within ${START_TIMEOUT_S}s" "$DIR/$c-broker-1/server.log"
        sleep 0.5
    done
    say "cluster $c up: bootstrap $(bootstrap "$c"), zookeeper $(zk_connect)$(cluster_chroot "$c")"
}

start_all() {
    local name p
    for name in $(members); do
        live_pid "$name" >/dev/null && die "$name is already running; run '$0 stop' first"
    done
    for p in "${ZK_PORTS[@]}" "${ZK_PEER_PORTS[@]}" "${ZK_ELECTION_PORTS[@]}" "${A_PORTS[@]}" "${B_PORTS[@]}"; do
        port_in_use "$p" && die "port $p is in use (see the BROOK_*_PORTS variables)"
    done
    command -v java >/dev/null || die "java not found (Debian packages zookeeper, default-jre-headless)"
    command -v kcat >/dev/null || die "kcat not found (Debian package kcat)"
    [[ -x $SERVER ]] || die "no brook-server at $SERVER (build it, or set BROOK_BUILD_DIR / BROOK_SERVER_BINARY)"
    mkdir -p "$PID_DIR"
    start_ensemble
    for name in "${CLUSTERS[@]}"; do start_cluster "$name"; done
    status
}

stop_one() {
    local name=$1 pid deadline
    if pid=$(live_pid "$name"); then
        kill -TERM "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 15))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        say "stopped $name (pid $pid)"
    fi
    rm -f "$PID_DIR/$name.pid"
}

# Brokers first (they deregister while ZooKeeper is up), then the ensemble.
stop_all() {
    local name
    for name in $(members | grep broker | tac) $(members | grep '^zk-' | tac); do stop_one "$name"; done
}

status() {
    local name pid
    for name in $(members); do
        if pid=$(live_pid "$name"); then
            printf '%-12s running  pid %s\n' "$name" "$pid"
        else
            printf '%-12s stopped\n' "$name"
        fi
    done
}

case "${1:-}" in
    start) start_all ;;
    stop) stop_all ;;
    status) status ;;
    bootstrap) bootstrap "${2:?usage: $0 bootstrap a|b}" ;;
    zk-connect) zk_connect ;;
    *)
        echo "usage: $0 start|stop|status|bootstrap a|b|zk-connect" >&2
        exit 2
        ;;
esac
