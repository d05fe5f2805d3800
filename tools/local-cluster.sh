#!/usr/bin/env bash
# Local development cluster: one standalone ZooKeeper and N brook-server processes on 127.0.0.1,
# all state under one directory, all processes tracked by pid files.
#
#   tools/local-cluster.sh start    start ZooKeeper and the brokers (no-op if already running)
#   tools/local-cluster.sh stop     stop exactly the processes recorded in the pid files
#   tools/local-cluster.sh status   show what is running
#
# Environment (defaults in brackets):
#   BROOK_BUILD_DIR   build directory, relative to the repo root or absolute [build]
#   BROOK_CLUSTER_DIR where configs, data, logs and pid files live [/tmp/brook-quickstart]
#   BROOK_BROKERS     number of brokers, broker.id 1..N [3]
#   BROOK_BASE_PORT   Kafka port of broker 1; broker i listens on BASE_PORT+i-1 [9092]
#   BROOK_ZK_PORT     ZooKeeper client port [2181 if free, else the next free port]
#   BROOK_CHROOT      ZooKeeper chroot of the cluster [/brook-quickstart]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BROOK_BUILD_DIR:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
CLUSTER_DIR=${BROOK_CLUSTER_DIR:-/tmp/brook-quickstart}
BROKERS=${BROOK_BROKERS:-3}
BASE_PORT=${BROOK_BASE_PORT:-9092}
CHROOT=${BROOK_CHROOT:-/brook-quickstart}
PID_DIR=$CLUSTER_DIR/pids
SERVER=$BUILD_DIR/broker/brook-server
TOPICS=$BUILD_DIR/tools/brook-topics
ZK_CLASSPATH=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar
START_TIMEOUT_S=${BROOK_START_TIMEOUT_S:-60}

say() { echo "local-cluster: $*"; }
die() { echo "local-cluster: error: $*" >&2; exit 1; }

# True when something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp, no extra tools).
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The pid in pid file $1 if that process is alive and is one we started (its command line
# mentions the cluster dir), so a recycled pid is never signalled.
live_pid() {
    local file=$PID_DIR/$1.pid pid
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$CLUSTER_DIR" || return 1
    echo "$pid"
}

# True while the process recorded for $1 exists. For the start-up wait loops: right after the
# fork, before nohup/setsid exec the server, /proc/<pid>/cmdline is still this script's, which
# live_pid would not accept.
alive() {
    local file=$PID_DIR/$1.pid
    [[ -f $file ]] && kill -0 "$(<"$file")" 2>/dev/null
}

members() {
    echo zookeeper
    for ((i = 1; i <= BROKERS; i++)); do echo "broker-$i"; done
}

zk_port() { cat "$CLUSTER_DIR/zookeeper/port" 2>/dev/null; }

bootstrap() {
    local list="" i
    for ((i = 1; i <= BROKERS; i++)); do list+="${list:+,}127.0.0.1:$((BASE_PORT + i - 1))"; done
    echo "$list"
}

ensure_built() {
    if [[ -x $SERVER && -x $TOPICS ]]; then return; fi
    say "building brook-server and brook-topics in $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja
    cmake --build "$BUILD_DIR" --target brook-server brook-topics
}

# Runs "$@" detached from this shell's session (so ^C in the terminal does not reach it) with
# output in log file $2... and records its pid. setsid execs in place here (a background child of
# a non-interactive shell is not a group leader), so $! is the server's own pid.
spawn() {
    local name=$1 log=$2
    shift 2
    nohup setsid "$@" >"$log" 2>&1 </dev/null &
    echo $! >"$PID_DIR/$name.pid"
    # Wait (at most 5 s) for the exec, so that from here on live_pid recognises the process.
    local i
    for ((i = 0; i < 50; i++)); do
        live_pid "$name" >/dev/null && return 0
        alive "$name" || return 0
        sleep 0.1
    done
}

fail_with_log() {
    local name=$1 log=$2
    echo "local-cluster: error: $name did not start; last lines of $log:" >&2
    tail -n 20 "$log" >&2 || true
    stop_all >&2
    exit 1
}

start_zookeeper() {
    local dir=$CLUSTER_DIR/zookeeper port=${BROOK_ZK_PORT:-}
    mkdir -p "$dir/data"
    if [[ -z $port ]]; then
        port=2181
        while port_in_use "$port"; do port=$((port + 1)); done
    elif port_in_use "$port"; then
        die "BROOK_ZK_PORT $port is already in use"
    fi
    cat >"$dir/zoo.cfg" <<CFG
tickTime=2000
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr
CFG
    echo "$port" >"$dir/port"
    spawn zookeeper "$dir/zookeeper.log" \
        java -Dzookeeper.log.dir="$dir" -cp "$ZK_CLASSPATH" \
        org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg"
    local deadline=$((SECONDS + START_TIMEOUT_S))
    until [[ $( (exec 3<>"/dev/tcp/127.0.0.1/$port" && echo ruok >&3 && timeout 2 cat <&3) 2>/dev/null) == imok ]]; do
        alive zookeeper || fail_with_log zookeeper "$dir/zookeeper.log"
        ((SECONDS < deadline)) || fail_with_log zookeeper "$dir/zookeeper.log"
        sleep 0.3
    done
    say "zookeeper up on 127.0.0.1:$port (pid $(live_pid zookeeper))"
}

write_broker_config() {
    local id=$1 port=$2 dir=$CLUSTER_DIR/broker-$1
    mkdir -p "$dir/data"
    cat >"$dir/server.properties" <<CFG
# brook-server $id of the local cluster written by tools/local-cluster.sh (Kafka config keys).
broker.id=$id
listeners=PLAINTEXT://127.0.0.1:$port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
log.dirs=$dir/data
zookeeper.connect=127.0.0.1:$(zk_port)$CHROOT
zookeeper.session.timeout.ms=18000
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=$((BROKERS < 3 ? BROKERS : 3))
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
CFG
}

# Waits until every broker accepts connections and broker 1's Metadata lists all N brokers
# (i.e. all registered in ZooKeeper and the metadata reached broker 1).
wait_for_brokers() {
    local deadline=$((SECONDS + START_TIMEOUT_S)) i ready
    while :; do
        ready=1
        for ((i = 1; i <= BROKERS; i++)); do
            alive "broker-$i" || fail_with_log "broker-$i" "$CLUSTER_DIR/broker-$i/server.log"
            port_in_use $((BASE_PORT + i - 1)) || ready=0
        done
        if ((ready)) && timeout 5 kcat -b "127.0.0.1:$BASE_PORT" -L -m 3 2>/dev/null |
            grep -q "^ $BROKERS brokers:"; then
            return 0
        fi
        if ((SECONDS >= deadline)); then
            echo "local-cluster: error: brokers not ready after ${START_TIMEOUT_S}s" >&2
            stop_all >&2
            exit 1
        fi
        sleep 0.5
    done
}

start_all() {
    local running=0 name
    for name in $(members); do live_pid "$name" >/dev/null && running=$((running + 1)); done
    if ((running == BROKERS + 1)); then
        say "already running"
        status
        return 0
    fi
    ((running == 0)) || die "partly running; run '$0 stop' first"
    for ((i = 1; i <= BROKERS; i++)); do
        port_in_use $((BASE_PORT + i - 1)) &&
            die "port $((BASE_PORT + i - 1)) is in use (set BROOK_BASE_PORT to use other ports)"
    done
    command -v java >/dev/null || die "java not found (Debian packages zookeeper, default-jre-headless)"
    command -v kcat >/dev/null || die "kcat not found (Debian package kcat)"
    ensure_built
    mkdir -p "$PID_DIR"
    start_zookeeper
    for ((i = 1; i <= BROKERS; i++)); do
        write_broker_config "$i" $((BASE_PORT + i - 1))
        spawn "broker-$i" "$CLUSTER_DIR/broker-$i/server.log" \
            "$SERVER" --config "$CLUSTER_DIR/broker-$i/server.properties"
    done
    wait_for_brokers
    say "$BROKERS brokers up, bootstrap $(bootstrap), zookeeper 127.0.0.1:$(zk_port)$CHROOT"
    status
}

# Sends SIGTERM to the recorded pids, waits up to 15 s each, then SIGKILL. Brokers first, so they
# can deregister while ZooKeeper is still there.
stop_all() {
    local name pid names
    names=$(members | tac)
    for name in $names; do
        if pid=$(live_pid "$name"); then
            kill -TERM "$pid" 2>/dev/null || true
            local deadline=$((SECONDS + 15))
            while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
            if kill -0 "$pid" 2>/dev/null; then
                say "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
            fi
            say "stopped $name (pid $pid)"
        fi
        rm -f "$PID_DIR/$name.pid"
    done
}

status() {
    local name pid any=0
    for name in $(members); do
        if pid=$(live_pid "$name"); then
            printf '%-10s running  pid %s\n' "$name" "$pid"
            any=1
        else
            printf '%-10s stopped\n' "$name"
        fi
    done
    ((any)) && echo "logs and data: $CLUSTER_DIR"
    return 0
}

case "${1:-}" in
    start) start_all ;;
    stop) stop_all ;;
    status) status ;;
    bootstrap) bootstrap ;;
    *)
        echo "usage: $0 start|stop|status|bootstrap" >&2
        exit 2
        ;;
esac
