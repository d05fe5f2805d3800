#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace test_support {

/// How a child ended, decoded from waitpid's status.
struct exit_status {
    bool exited = false;  // true: normal exit with `code`; false: killed by `signal`
    int code = -1;
    int signal = 0;

    bool success() const { return exited && code == 0; }
    std::string to_string() const;
};

/// A long-running child (ZooKeeper, brook-server) started with fork/exec, stdin from /dev/null,
/// stdout+stderr appended to a log file. The child gets PR_SET_PDEATHSIG=SIGKILL so it dies with
/// the test binary even if that crashes, and every other inherited fd is closed. Ended only by
/// pid (never by name); the destructor SIGKILLs and reaps a child still running.
/// Owned by one fixture; use from the thread that created it (PDEATHSIG follows that thread).
class child_process {
public:
    /// Throws fixture_error when fork or the log file fails. argv[0] is looked up in PATH.
    child_process(std::vector<std::string> argv, const std::string& log_path,
                  const std::string& working_dir = {});
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const { return pid_; }
    /// Still running? Reaps the child (and records its status) if it has exited.
    bool running();
    /// Status once reaped.
    const std::optional<exit_status>& status() const { return status_; }
    /// Waits up to `timeout` for the child to exit by itself.
    std::optional<exit_status> wait_for_exit(std::chrono::milliseconds timeout);
    /// SIGTERM, wait up to `grace`, then SIGKILL; returns how it ended.
    exit_status terminate(std::chrono::milliseconds grace);
    /// SIGKILL and reap.
    exit_status kill();

private:
    pid_t pid_ = -1;
    std::optional<exit_status> status_;
};

/// Result of run_command.
struct command_result {
    exit_status status;
    std::string out;
    std::string err;
    bool timed_out = false;

    int exit_code() const { return status.exited ? status.code : -1; }
    /// For failure messages: status, stdout and stderr (each clipped).
    std::string describe() const;
};

/// Runs argv (PATH lookup) to completion, feeding `input` on stdin and capturing stdout/stderr.
/// After `timeout` the child is SIGKILLed and timed_out is set. Never throws for a failing
/// command, only when fork/pipe fail.
command_result run_command(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout = std::chrono::seconds(60),
                           const std::string& input = {});

/// Joins argv for log and failure messages.
std::string join_argv(const std::vector<std::string>& argv);

}  // namespace test_support
