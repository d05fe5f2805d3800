#pragma once
// Every broker's listener for dynamic config changes (Kafka's ZkNodeChangeNotificationListener on
// /config/changes). Whoever changes an entity's config (AlterConfigs on any broker, or Kafka's own
// tools) rewrites /config/<type>/<name> and then creates a sequential
// /config/changes/config_change_<n> naming the entity. The listener watches the children, hands
// each new notification's entity to the callback once (in sequence order; the callback re-reads
// the config itself, so a burst of changes to one entity costs one read each and the last one
// wins), and deletes notifications older than `expiry` (Kafka: 15 minutes) so the directory stays
// small. Runs on the client's executor (strand) only; owned through a shared_ptr.

#include "coordination/znodes.h"
#include "coordination/zk_client.h"

#include <chrono>
#include <functional>
#include <memory>

namespace coordination {

class config_change_listener : public std::enable_shared_from_this<config_change_listener> {
  public:
    using callback = std::function<void(const znodes::config_entity&)>;
    using clock_fn = std::function<int64_t()>;  // wall-clock ms, compared with znode ctimes

    static std::shared_ptr<config_change_listener> make(zk_client& zk, callback cb,
                                                        std::chrono::milliseconds expiry = std::chrono::minutes(15),
                                                        clock_fn now_ms = {});
    ~config_change_listener();
    config_change_listener(const config_change_listener&) = delete;
    config_change_listener& operator=(const config_change_listener&) = delete;

    /// Sets the watch and processes the notifications present now (as Kafka does at start-up:
    /// re-reading a config that did not change is harmless).
    void start();
    void stop() { running_ = false; }
    /// Sequence number of the last notification handed to the callback; -1 before the first.
    int64_t last_processed() const { return last_processed_; }

  private:
    config_change_listener(zk_client& zk, callback cb, std::chrono::milliseconds expiry, clock_fn now_ms);
    void read_changes();
    void process(std::vector<std::pair<int64_t, std::string>> fresh, size_t next);
    void on_session(const session_event& e);

    zk_client& zk_;
    callback cb_;
    std::chrono::milliseconds expiry_;
    clock_fn now_ms_;
    bool running_ = false;
    bool busy_ = false;     // a batch of notifications is being processed
    bool again_ = false;    // the watch fired meanwhile: list the children again when done
    int64_t last_processed_ = -1;
    int64_t session_ = 0;
    int listener_ = -1;
};

}  // namespace coordination
