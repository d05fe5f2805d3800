#pragma once
// Controller election through the ephemeral /controller znode, as Kafka 2.x: every broker tries
// to create it; the winner atomically (one multi) creates /controller and bumps /controller_epoch
// conditional on the epoch version it read, so two controllers can never share an epoch.
// Everyone watches /controller and races again when it disappears or the session is renewed.
// Owned through a shared_ptr; runs on the client's executor (strand) only.

#include "coordination/zk_client.h"

#include <memory>

namespace coordination {

class controller_election : public std::enable_shared_from_this<controller_election> {
  public:
    /// controller_id -1 means "no controller known" (e.g. after our session expired).
    using change_callback = std::function<void(int32_t controller_id, int32_t controller_epoch, bool is_me)>;

    static std::shared_ptr<controller_election> make(zk_client& zk, int32_t broker_id, change_callback on_change);
    ~controller_election();
    controller_election(const controller_election&) = delete;
    controller_election& operator=(const controller_election&) = delete;

    void start();
    /// Stops reacting; if we are the controller, deletes /controller so others take over at once.
    void stop(zk_client::void_callback cb);

    int32_t controller_id() const { return controller_id_; }
    int32_t controller_epoch() const { return epoch_; }
    /// zk version of /controller_epoch after our bump (valid while is_controller()).
    int32_t epoch_zk_version() const { return epoch_zk_version_; }
    bool is_controller() const { return is_me_; }

  private:
    controller_election(zk_client& zk, int32_t id, change_callback cb)
        : zk_(zk), broker_id_(id), on_change_(std::move(cb)) {}
    void elect();
    void try_become();
    void read_current(int64_t owner);
    void report(int32_t id, int32_t epoch, bool is_me);
    void on_session(const session_event& e);
    void retry_later(std::error_code ec);

    zk_client& zk_;
    int32_t broker_id_;
    change_callback on_change_;
    int listener_ = 0;
    bool running_ = false;
    bool watch_armed_ = false;
    int32_t controller_id_ = -1;
    int32_t epoch_ = 0;
    int32_t epoch_zk_version_ = -1;
    bool is_me_ = false;
    bool reported_ = false;
};

}  // namespace coordination
