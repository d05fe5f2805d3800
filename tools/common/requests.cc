#include "tools/common/requests.h"

namespace tools {

protocol::metadata_request metadata_request_for(std::optional<std::vector<std::string>> topics,
                                                bool allow_auto_topic_creation) {
    protocol::metadata_request req;
    if (topics) {
        req.topics.emplace();
        for (auto& name : *topics) {
            typename decltype(req.topics)::value_type::value_type t;
            t.name = std::move(name);
            req.topics->push_back(std::move(t));
        }
    } else {
        req.topics = std::nullopt;
    }
    req.allow_auto_topic_creation = allow_auto_topic_creation;
    return req;
}

}  // namespace tools
