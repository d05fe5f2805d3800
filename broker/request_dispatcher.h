#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "protocol/wire/writer.h"

namespace broker {

class handlers;

/// What the connection does after a request was handled.
enum class dispatch_result {
    respond,      // `out` holds the response header and body
    no_response,  // Produce with acks=0: nothing is sent
    close,        // malformed or unknown request: log it and close this connection only
};

/// Decodes the request header of one frame, checks the API and version against the registry and
/// runs the matching handler. Stateless apart from the handlers it calls; used concurrently by
/// every connection's strand.
class request_dispatcher {
public:
    explicit request_dispatcher(handlers& h) : handlers_(h) {}

    /// `frame` is the payload after the 4-byte size. It lives in the connection's read buffer and
    /// stays valid (and writable: produce rewrites base offsets in place) until this completes.
    /// The response header and body are appended to `out`.
    boost::asio::awaitable<dispatch_result> dispatch(std::span<uint8_t> frame, const std::string& peer,
                                                     protocol::wire::writer& out);

private:
    handlers& handlers_;
};

}  // namespace broker
