#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/outcome.hpp>

#include "protocol/wire/writer.h"

namespace broker {

/// Carries the controller's requests (LeaderAndIsr, UpdateMetadata, StopReplica) to brokers, as
/// Kafka's ControllerChannelManager does: one queue and one sender thread per destination broker,
/// so a slow or dead broker delays only its own requests, and requests to one broker arrive in the
/// order they were queued. A request that fails (connection refused, timeout) is retried on a new
/// connection until it succeeds or the broker is removed.
///
/// Owned by the application while this broker is controller. Thread-safe: add/remove/send may be
/// called from any thread (the controller strand in practice); response callbacks run on the
/// destination's sender thread and must only post elsewhere.
class controller_channel {
public:
    using response_callback = std::function<void(const boost::outcome_v2::std_result<std::vector<uint8_t>>&)>;

    struct request {
        int16_t api_key = 0;
        int16_t api_version = 0;
        std::shared_ptr<const protocol::wire::writer> body;  // encoded once, shared by every sender
        response_callback on_response;                       // may be empty
    };

    /// `client_id` names the sender in the destination's logs (e.g. "controller-1").
    explicit controller_channel(std::string client_id);
    ~controller_channel();
    controller_channel(const controller_channel&) = delete;
    controller_channel& operator=(const controller_channel&) = delete;

    /// Starts a sender for the broker (or updates its address). Idempotent.
    void add_broker(int32_t id, const std::string& host, uint16_t port);
    /// Drops the broker's queue and ends its sender.
    void remove_broker(int32_t id);
    /// Queues a request for the broker; ignored (and logged) if the broker is unknown.
    void send(int32_t id, request r);
    /// Ends every sender; queued requests are dropped.
    void stop();

    /// Requests queued or in flight for `id` (tests, logs).
    size_t pending(int32_t id) const;

private:
    struct destination;
    static void run(std::shared_ptr<destination> d, std::string client_id);

    const std::string client_id_;
    mutable std::mutex mutex_;  // guards destinations_
    std::map<int32_t, std::shared_ptr<destination>> destinations_;
};

}  // namespace broker
