#include "coordination/topic_store.h"

#include "coordination/zk_util.h"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace coordination {

void topic_store::create_topic(const topic_assignment& assignment, const std::map<std::string, std::string>& configs,
                               zk_client::void_callback cb) {
    if (assignment.partitions.empty()) {
        boost::asio::post(zk_.executor(), [cb = std::move(cb)] { cb(errc::invalid_partitions); });
        return;
    }
    auto& zk = zk_;
    std::string name = assignment.name;
    std::string topic_data = znodes::encode_topic_assignment(assignment);
    std::string config_data = znodes::encode_topic_config(configs);
    ensure_paths(zk, {std::string(znodes::topics_path), std::string(znodes::config_topics_path)},
                 [&zk, name, topic_data, config_data, cb = std::move(cb)](std::error_code ec) mutable {
        if (ec) return cb(ec);
        zk.exists(znodes::delete_topic_path(name), {}, [&zk, name, topic_data, config_data, cb = std::move(cb)](std::error_code ec, zk_stat) mutable {
            if (!ec) return cb(errc::topic_marked_for_deletion);
            if (ec != zk_errc::no_node) return cb(ec);
            zk.exists(znodes::topic_path(name), {}, [&zk, name, topic_data, config_data, cb = std::move(cb)](std::error_code ec, zk_stat) mutable {
                if (!ec) return cb(errc::topic_already_exists);
                if (ec != zk_errc::no_node) return cb(ec);
                auto write_topic = [&zk, name, topic_data, cb = std::move(cb)](std::error_code ec) mutable {
                    if (ec) return cb(ec);
                    zk.create(znodes::topic_path(name), topic_data, create_mode::persistent,
                              [cb = std::move(cb)](std::error_code ec, std::string) {
                                  cb(ec == zk_errc::node_exists ? make_error_code(errc::topic_already_exists) : ec);
                              });
                };
                std::string cpath = znodes::config_topic_path(name);
                zk.create(cpath, config_data, create_mode::persistent,
                          [&zk, cpath, config_data, write_topic = std::move(write_topic)](std::error_code ec, std::string) mutable {
                              if (ec == zk_errc::node_exists) {
                                  zk.set(cpath, config_data, -1, [write_topic = std::move(write_topic)](std::error_code ec, zk_stat) mutable {
                                      write_topic(ec);
                                  });
                                  return;
                              }
                              write_topic(ec);
                          });
            });
        });
    });
}

void topic_store::request_delete_topic(const std::string& topic, zk_client::void_callback cb) {
    auto& zk = zk_;
    zk.exists(znodes::topic_path(topic), {}, [&zk, topic, cb = std::move(cb)](std::error_code ec, zk_stat) mutable {
        if (ec == zk_errc::no_node) return cb(errc::unknown_topic);
        if (ec) return cb(ec);
        ensure_paths(zk, {std::string(znodes::delete_topics_path)}, [&zk, topic, cb = std::move(cb)](std::error_code ec) mutable {
            if (ec) return cb(ec);
            zk.create(znodes::delete_topic_path(topic), {}, create_mode::persistent,
                      [cb = std::move(cb)](std::error_code ec, std::string) {
                          cb(ec == zk_errc::node_exists ? std::error_code{} : ec);
                      });
        });
    });
}

void topic_store::list_topics(zk_client::children_callback cb) {
    zk_.get_children(std::string(znodes::topics_path), {}, [cb = std::move(cb)](std::error_code ec, std::vector<std::string> kids) {
        if (ec == zk_errc::no_node) return cb({}, {});
        std::sort(kids.begin(), kids.end());
        cb(ec, std::move(kids));
    });
}

void topic_store::get_assignment(const std::string& topic, std::function<void(result<topic_assignment>)> cb) {
    zk_.get(znodes::topic_path(topic), {}, [topic, cb = std::move(cb)](std::error_code ec, std::string data, zk_stat) {
        if (ec == zk_errc::no_node) return cb(errc::unknown_topic);
        if (ec) return cb(ec);
        cb(znodes::decode_topic_assignment(topic, data));
    });
}

void topic_store::get_config(const std::string& topic,
                             std::function<void(result<std::map<std::string, std::string>>)> cb) {
    zk_.get(znodes::config_topic_path(topic), {}, [cb = std::move(cb)](std::error_code ec, std::string data, zk_stat) {
        if (ec == zk_errc::no_node) return cb(std::map<std::string, std::string>{});
        if (ec) return cb(ec);
        cb(znodes::decode_topic_config(data));
    });
}

}  // namespace coordination
