#pragma once

#include <boost/outcome.hpp>
#include <system_error>
#include <utility>

namespace storage {

/// Expected failures are values: result<T> holds a T or a std::error_code (storage::errc).
template <class T>
using result = boost::outcome_v2::std_result<T>;

using boost::outcome_v2::success;

}  // namespace storage

#define BROOK_STORAGE_CONCAT_(a, b) a##b
#define BROOK_STORAGE_CONCAT(a, b) BROOK_STORAGE_CONCAT_(a, b)

/// BROOK_STORAGE_TRY(auto x, f()) or BROOK_STORAGE_TRY(existing, f()): on error returns it
/// from the enclosing function, else assigns the value. (Boost 1.74's BOOST_OUTCOME_TRY can
/// only declare new variables.)
#define BROOK_STORAGE_TRY(lhs, ...)                                                   \
    auto&& BROOK_STORAGE_CONCAT(brook_try_, __LINE__) = (__VA_ARGS__);                \
    if (!BROOK_STORAGE_CONCAT(brook_try_, __LINE__))                                  \
        return BROOK_STORAGE_CONCAT(brook_try_, __LINE__).error();                    \
    lhs = std::move(BROOK_STORAGE_CONCAT(brook_try_, __LINE__)).value()

/// Returns the error of a result<T> from the enclosing function, ignoring any value.
#define BROOK_STORAGE_TRYV(...)                                                       \
    do {                                                                              \
        if (auto&& brook_tryv_ = (__VA_ARGS__); !brook_tryv_) return brook_tryv_.error(); \
    } while (0)
