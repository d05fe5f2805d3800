#include "coordination/zk_util.h"

#include <spdlog/spdlog.h>

#include <memory>

namespace coordination {

std::vector<std::string> path_prefixes(const std::string& path) {
    std::vector<std::string> out;
    for (size_t pos = 1; pos <= path.size(); ++pos) {
        if (pos == path.size() || path[pos] == '/') out.push_back(path.substr(0, pos));
    }
    return out;
}

namespace {

// Joins N completions into one callback carrying the first real error.
struct join {
    size_t pending;
    std::error_code first;
    zk_client::void_callback cb;
    void done(std::error_code ec) {
        if (ec && !first) first = ec;
        if (--pending == 0) cb(first);
    }
};

}  // namespace

void ensure_paths(zk_client& zk, const std::vector<std::string>& paths, zk_client::void_callback cb) {
    std::vector<std::string> all;
    for (const auto& p : paths) {
        for (auto& pre : path_prefixes(p)) all.push_back(std::move(pre));
    }
    if (all.empty()) {
        cb({});
        return;
    }
    auto j = std::make_shared<join>(join{all.size(), {}, std::move(cb)});
    for (const auto& p : all) {
        zk.create(p, {}, create_mode::persistent, [j](std::error_code ec, std::string) {
            j->done(ec == zk_errc::node_exists ? std::error_code{} : ec);
        });
    }
}

void create_recursive(zk_client& zk, const std::string& path, std::string data, zk_client::void_callback cb) {
    auto prefixes = path_prefixes(path);
    auto j = std::make_shared<join>(join{prefixes.size(), {}, std::move(cb)});
    for (size_t i = 0; i < prefixes.size(); ++i) {
        bool last = i + 1 == prefixes.size();
        zk.create(prefixes[i], last ? data : std::string{}, create_mode::persistent,
                  [j](std::error_code ec, std::string) {
                      j->done(ec == zk_errc::node_exists ? std::error_code{} : ec);
                  });
    }
}

void delete_recursive(zk_client& zk, const std::string& path, zk_client::void_callback cb) {
    zk.get_children(path, {}, [&zk, path, cb = std::move(cb)](std::error_code ec, std::vector<std::string> kids) mutable {
        if (ec == zk_errc::no_node) {
            cb({});
            return;
        }
        if (ec) {
            cb(ec);
            return;
        }
        auto remove_self = [&zk, path, cb = std::move(cb)](std::error_code ec) mutable {
            if (ec) {
                cb(ec);
                return;
            }
            zk.remove(path, -1, [cb = std::move(cb)](std::error_code ec) {
                cb(ec == zk_errc::no_node ? std::error_code{} : ec);
            });
        };
        if (kids.empty()) {
            remove_self({});
            return;
        }
        auto j = std::make_shared<join>(join{kids.size(), {}, std::move(remove_self)});
        for (const auto& k : kids) {
            delete_recursive(zk, path == "/" ? "/" + k : path + "/" + k, [j](std::error_code ec) { j->done(ec); });
        }
    });
}

void read_brokers(zk_client& zk, watch_callback children_watch,
                  std::function<void(std::error_code, std::map<int32_t, registered_broker>)> cb) {
    zk.get_children(std::string(znodes::broker_ids_path), std::move(children_watch),
                    [&zk, cb = std::move(cb)](std::error_code ec, std::vector<std::string> kids) mutable {
        if (ec == zk_errc::no_node) return cb({}, {});
        if (ec) return cb(ec, {});
        struct gather {
            std::map<int32_t, registered_broker> out;
            size_t pending = 0;
            std::function<void(std::error_code, std::map<int32_t, registered_broker>)> cb;
        };
        auto g = std::make_shared<gather>();
        g->cb = std::move(cb);
        std::vector<int32_t> ids;
        for (const auto& k : kids) {
            try {
                size_t used = 0;
                int32_t id = std::stoi(k, &used);
                if (used == k.size()) ids.push_back(id);
            } catch (...) {
            }
        }
        if (ids.empty()) return g->cb({}, {});
        g->pending = ids.size();
        for (int32_t id : ids) {
            zk.get(znodes::broker_path(id), {}, [g, id](std::error_code ec, std::string data, zk_stat st) {
                if (!ec) {
                    auto b = znodes::decode_broker(id, data);
                    if (b) {
                        g->out[id] = registered_broker{std::move(b.value()), st.czxid};
                    } else {
                        spdlog::warn("malformed broker znode {}: {}", id, data);
                    }
                }
                if (--g->pending == 0) g->cb({}, std::move(g->out));
            });
        }
    });
}

}  // namespace coordination
