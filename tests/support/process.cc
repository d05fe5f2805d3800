#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>

#include "tests/support/fixture_error.h"

namespace test_support {
namespace {

exit_status decode(int raw) {
    exit_status s;
    if (WIFEXITED(raw)) {
        s.exited = true;
        s.code = WEXITSTATUS(raw);
    } else if (WIFSIGNALED(raw)) {
        s.signal = WTERMSIG(raw);
    }
    return s;
}

// Everything the child needs is prepared before fork(): the test binary runs librdkafka and
// ZooKeeper client threads, so between fork and exec only async-signal-safe calls are allowed.
struct exec_args {
    std::vector<std::string> storage;
    std::vector<char*> argv;
    explicit exec_args(const std::vector<std::string>& args) : storage(args) {
        for (auto& s : storage) argv.push_back(s.data());
        argv.push_back(nullptr);
    }
};

[[noreturn]] void exec_child(const exec_args& args, pid_t parent, int in_fd, int out_fd,
                             int err_fd, const char* working_dir) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // parent already gone
    // A fresh process group keeps a terminal's Ctrl-C from racing our own shutdown order;
    // PDEATHSIG still ends the child if the test binary dies.
    ::setpgid(0, 0);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::syscall(SYS_close_range, 3U, UINT_MAX, 0U);
    if (working_dir != nullptr && working_dir[0] != '\0' && ::chdir(working_dir) != 0) ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvp(args.argv[0], args.argv.data());
    const char msg[] = "exec failed\n";
    [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
}

std::string clip(const std::string& s, std::size_t max) {
    if (s.size() <= max) return s;
    return "..." + s.substr(s.size() - max);
}

}  // namespace

std::string exit_status::to_string() const {
    if (exited) return "exit code " + std::to_string(code);
    if (signal != 0) return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    return "unknown status";
}

std::string join_argv(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty()) out += ' ';
        out += a;
    }
    return out;
}

child_process::child_process(std::vector<std::string> argv, const std::string& log_path,
                             const std::string& working_dir) {
    if (argv.empty()) throw fixture_error("child_process: empty argv");
    int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw fixture_error("cannot open log " + log_path + ": " + std::strerror(errno));
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    exec_args args(argv);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(log_fd);
        ::close(null_fd);
        throw fixture_error("fork failed: " + std::string(std::strerror(errno)));
    }
    if (pid == 0) exec_child(args, parent, null_fd, log_fd, log_fd, working_dir.c_str());
    ::close(log_fd);
    ::close(null_fd);
    pid_ = pid;
}

child_process::~child_process() {
    if (pid_ > 0 && !status_) kill();
}

bool child_process::running() {
    if (status_) return false;
    int raw = 0;
    pid_t r = ::waitpid(pid_, &raw, WNOHANG);
    if (r == pid_) {
        status_ = decode(raw);
        return false;
    }
    return true;
}

std::optional<exit_status> child_process::wait_for_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return status_;
}

exit_status child_process::terminate(std::chrono::milliseconds grace) {
    if (!running()) return *status_;
    ::kill(pid_, SIGTERM);
    if (auto s = wait_for_exit(grace)) return *s;
    return kill();
}

exit_status child_process::kill() {
    if (!running()) return *status_;
    // The child leads its own process group (setpgid in exec_child), so this also ends any
    // grandchildren it spawned, which PDEATHSIG does not cover.
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int raw = 0;
    while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
    }
    status_ = decode(raw);
    return *status_;
}

std::string command_result::describe() const {
    std::string s = timed_out ? "TIMED OUT, " : "";
    s += status.to_string();
    s += "\n--- stdout ---\n" + clip(out, 4000);
    s += "\n--- stderr ---\n" + clip(err, 4000);
    return s;
}

command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::string& input) {
    if (argv.empty()) throw fixture_error("run_command: empty argv");
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
        ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        throw fixture_error("pipe failed: " + std::string(std::strerror(errno)));
    }
    exec_args args(argv);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) throw fixture_error("fork failed: " + std::string(std::strerror(errno)));
    if (pid == 0) exec_child(args, parent, in_pipe[0], out_pipe[1], err_pipe[1], nullptr);
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    int in_fd = in_pipe[1];
    ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
    if (input.empty()) {
        ::close(in_fd);
        in_fd = -1;
    }
    // Writing to a child that has exited must not kill the test binary.
    struct sigaction ignore {}, old {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old);

    command_result result;
    std::size_t written = 0;
    int out_fd = out_pipe[0], err_fd = err_pipe[0];
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    while (out_fd >= 0 || err_fd >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd fds[3];
        int n = 0;
        int out_i = -1, err_i = -1, in_i = -1;
        if (out_fd >= 0) { fds[n] = {out_fd, POLLIN, 0}; out_i = n++; }
        if (err_fd >= 0) { fds[n] = {err_fd, POLLIN, 0}; err_i = n++; }
        if (in_fd >= 0) { fds[n] = {in_fd, POLLOUT, 0}; in_i = n++; }
        int r = ::poll(fds, n, static_cast<int>(std::min<long>(left.count(), 200)));
        if (r < 0 && errno != EINTR) break;
        if (r <= 0) continue;
        auto drain = [&](int idx, int& fd, std::string& into) {
            if (idx < 0 || fds[idx].revents == 0) return;
            ssize_t got = ::read(fd, buf, sizeof buf);
            if (got > 0) {
                into.append(buf, static_cast<std::size_t>(got));
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                ::close(fd);
                fd = -1;
            }
        };
        drain(out_i, out_fd, result.out);
        drain(err_i, err_fd, result.err);
        if (in_i >= 0 && fds[in_i].revents != 0) {
            ssize_t put = ::write(in_fd, input.data() + written, input.size() - written);
            if (put > 0) written += static_cast<std::size_t>(put);
            if ((put < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
                ::close(in_fd);
                in_fd = -1;
            }
        }
    }
    for (int fd : {in_fd, out_fd, err_fd}) {
        if (fd >= 0) ::close(fd);
    }
    // Both pipes may close while the child lives on (it closed them, or a grandchild holds
    // them); the deadline still applies.
    int raw = 0;
    while (true) {
        pid_t r = ::waitpid(pid, &raw, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
            }
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::sigaction(SIGPIPE, &old, nullptr);
    result.status = decode(raw);
    return result;
}

}  // namespace test_support
