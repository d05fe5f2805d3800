#pragma once

#include <boost/outcome/std_result.hpp>

#include <string>
#include <utility>

namespace tools {

/// A failure a command-line tool reports to its user: one line for stderr, and the process exit
/// code. Tools print `message` as is, so it carries its own prefix ("Error: ...").
struct cli_error {
    std::string message;
    int exit_code = 1;
};

/// result<T> for tools: the error is a user-facing message, not an error_code, because every
/// failure ends as one line on stderr and the category of the code would carry nothing more.
template <class T>
using cli_result = boost::outcome_v2::std_result<T, cli_error, boost::outcome_v2::policy::terminate>;

inline cli_error make_cli_error(std::string message, int exit_code = 1) {
    return cli_error{std::move(message), exit_code};
}

}  // namespace tools
