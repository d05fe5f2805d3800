#pragma once
// Helpers for coordination unit tests: drive an io_context until a condition holds, and turn the
// asynchronous zk_client calls into blocking ones for test set-up (only valid while the test thread
// itself runs the io_context).

#include "coordination/zk_client.h"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <optional>

namespace coord_test {

/// Runs handlers until pred() is true or the deadline passes; returns pred().
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& pred,
                      std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        io.restart();
        if (io.run_one_for(std::chrono::milliseconds(10)) == 0) continue;
    }
    return true;
}

/// Runs every handler that is ready now, including ones they post in turn.
inline void drain(boost::asio::io_context& io) {
    io.restart();
    while (io.poll() > 0) io.restart();
}

struct sync_zk {
    boost::asio::io_context& io;
    coordination::zk_client& zk;

    std::error_code create(const std::string& path, const std::string& data = {},
                           coordination::create_mode m = coordination::create_mode::persistent,
                           std::string* created = nullptr) {
        std::optional<std::error_code> out;
        zk.create(path, data, m, [&](std::error_code ec, std::string p) {
            if (created) *created = p;
            out = ec;
        });
        run_until(io, [&] { return out.has_value(); });
        return *out;
    }
    std::error_code create_all(const std::string& path, const std::string& data = {}) {
        for (size_t pos = 1; (pos = path.find('/', pos)) != std::string::npos; ++pos) {
            create(path.substr(0, pos));
        }
        return create(path, data);
    }
    std::pair<std::error_code, std::string> get(const std::string& path,
                                                coordination::zk_stat* stat = nullptr) {
        std::optional<std::pair<std::error_code, std::string>> out;
        zk.get(path, {}, [&](std::error_code ec, std::string d, coordination::zk_stat st) {
            if (stat) *stat = st;
            out.emplace(ec, std::move(d));
        });
        run_until(io, [&] { return out.has_value(); });
        return *out;
    }
    std::error_code set(const std::string& path, const std::string& data, int32_t version = -1) {
        std::optional<std::error_code> out;
        zk.set(path, data, version, [&](std::error_code ec, coordination::zk_stat) { out = ec; });
        run_until(io, [&] { return out.has_value(); });
        return *out;
    }
    std::error_code remove(const std::string& path, int32_t version = -1) {
        std::optional<std::error_code> out;
        zk.remove(path, version, [&](std::error_code ec) { out = ec; });
        run_until(io, [&] { return out.has_value(); });
        return *out;
    }
    bool exists(const std::string& path) {
        std::optional<std::error_code> out;
        zk.exists(path, {}, [&](std::error_code ec, coordination::zk_stat) { out = ec; });
        run_until(io, [&] { return out.has_value(); });
        return !*out;
    }
    std::vector<std::string> children(const std::string& path) {
        std::optional<std::vector<std::string>> out;
        zk.get_children(path, {}, [&](std::error_code, std::vector<std::string> k) { out = std::move(k); });
        run_until(io, [&] { return out.has_value(); });
        std::sort(out->begin(), out->end());
        return *out;
    }
};

}  // namespace coord_test
