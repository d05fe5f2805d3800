#pragma once
// Keeps this broker's ephemeral /brokers/ids/<id> znode alive: registers at startup, re-registers
// after every new session (the old node died with the old session), deregisters on shutdown.
// Owned by the broker's composition root through a shared_ptr; used on the client's executor
// (strand) only. The zk_client must outlive it.

#include "coordination/znodes.h"
#include "coordination/zk_client.h"

#include <memory>

namespace coordination {

class broker_registry : public std::enable_shared_from_this<broker_registry> {
  public:
    static std::shared_ptr<broker_registry> make(zk_client& zk, broker_info self);
    ~broker_registry();
    broker_registry(const broker_registry&) = delete;
    broker_registry& operator=(const broker_registry&) = delete;

    /// Creates /brokers/ids (if missing) and the ephemeral node. A node held by another live
    /// session fails with errc::broker_already_registered ("broker.id N already registered");
    /// a node held by our own session (a retried create) is success.
    void start(zk_client::void_callback cb);
    /// Deletes our node if we own it and stops re-registering.
    void stop(zk_client::void_callback cb);

    /// Called after each automatic re-registration on a new session (error or success).
    void on_reregistered(std::function<void(std::error_code)> fn) { on_reregistered_ = std::move(fn); }

    bool registered() const { return registered_session_ != 0; }
    const broker_info& self() const { return self_; }

  private:
    broker_registry(zk_client& zk, broker_info self) : zk_(zk), self_(std::move(self)) {}
    void do_register(zk_client::void_callback cb);
    void on_session(const session_event& e);

    zk_client& zk_;
    broker_info self_;
    int listener_ = 0;
    int64_t registered_session_ = 0;
    bool started_ = false;
    std::function<void(std::error_code)> on_reregistered_;
};

}  // namespace coordination
