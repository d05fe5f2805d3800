#include "tools/topics/topics_command.h"

#include "protocol/errors.h"

#include <algorithm>
#include <ostream>

namespace tools {

namespace {

constexpr std::string_view error_prefix = "Error while executing topic command : ";
constexpr int16_t topic_already_exists = 36;
constexpr int16_t unknown_topic_or_partition = 3;
constexpr int16_t invalid_partitions = 37;

bool is_internal(const topic_description& t) {
    // Metadata v1+ flags internal topics; names starting "__" are Kafka's convention for them and
    // also cover brokers that do not set the flag.
    return t.internal || t.name.rfind("__", 0) == 0;
}

// Topics of `md` selected by --topic and --exclude-internal, sorted by name.
std::vector<const metadata_topic*> select_topics(const cluster_metadata& md,
                                                 const topic_filter& filter,
                                                 bool exclude_internal) {
    std::vector<const metadata_topic*> out;
    for (const auto& t : md.topics) {
        if (t.error_code == unknown_topic_or_partition) continue;
        if (exclude_internal && is_internal(t.description)) continue;
        if (!filter.matches(t.description.name)) continue;
        out.push_back(&t);
    }
    std::sort(out.begin(), out.end(),
              [](auto* a, auto* b) { return a->description.name < b->description.name; });
    return out;
}

int fail(std::ostream& err, std::string_view text) {
    err << text << '\n';
    return 1;
}

// kafka-topics' ensureTopicExists: an empty selection is an error unless --if-exists.
int missing_topic(const topics_options& o, std::ostream& err) {
    if (o.if_exists) return 0;
    return fail(err, std::string(error_prefix) + "Topic '" + *o.topic + "' does not exist as expected");
}

int run_create(const topics_options& o, topics_admin& admin, std::ostream& out, std::ostream& err) {
    if (has_collision_chars(*o.topic)) {
        out << "WARNING: Due to limitations in metric names, topics with a period ('.') or "
               "underscore ('_') could collide. To avoid issues it is best to use either, but not "
               "both.\n";
    }
    new_topic t{*o.topic, o.partitions.value_or(-1), o.replication_factor.value_or(-1), o.configs};
    auto r = admin.create_topic(t);
    if (!r) return fail(err, r.error().message);
    const auto& res = r.value();
    if (res.error_code == topic_already_exists && o.if_not_exists) return 0;
    if (res.error_code != 0) {
        return fail(err, std::string(error_prefix) +
                             topic_error_text(*o.topic, res.error_code, res.error_message));
    }
    out << "Created topic " << *o.topic << ".\n";
    return 0;
}

int run_list(const topics_options& o, topics_admin& admin, std::ostream& out, std::ostream& err) {
    auto filter = topic_filter::make(o.topic);
    if (!filter) return fail(err, filter.error().message);
    auto md = admin.all_topics();
    if (!md) return fail(err, md.error().message);
    std::vector<std::string> names;
    for (auto* t : select_topics(md.value(), filter.value(), o.exclude_internal)) {
        names.push_back(t->description.name);
    }
    out << format_list(std::move(names));
    return 0;
}

int run_describe(const topics_options& o, topics_admin& admin, std::ostream& out,
                 std::ostream& err) {
    auto filter = topic_filter::make(o.topic);
    if (!filter) return fail(err, filter.error().message);
    auto md = admin.all_topics();
    if (!md) return fail(err, md.error().message);
    auto topics = select_topics(md.value(), filter.value(), o.exclude_internal);
    if (topics.empty() && o.topic) return missing_topic(o, err);
    auto report = o.under_replicated_partitions ? describe_report::under_replicated
                  : o.unavailable_partitions    ? describe_report::unavailable
                                                : describe_report::all;
    for (auto* t : topics) out << format_describe(t->description, report, md.value().brokers);
    return 0;
}

// kafka-topics' alterTopic over the admin client: every topic the --topic pattern selects grows
// to --partitions in one CreatePartitions request; the controller refuses anything but an
// increase. Silent on success, as kafka-topics is with --bootstrap-server.
int run_alter(const topics_options& o, topics_admin& admin, std::ostream& err) {
    auto filter = topic_filter::make(o.topic);
    if (!filter) return fail(err, filter.error().message);
    auto md = admin.all_topics();
    if (!md) return fail(err, md.error().message);
    auto topics = select_topics(md.value(), filter.value(), false);
    if (topics.empty()) return missing_topic(o, err);
    std::vector<partition_increase> increases;
    for (auto* t : topics) increases.push_back({t->description.name, *o.partitions});
    auto r = admin.create_partitions(increases);
    if (!r) return fail(err, r.error().message);
    int rc = 0;
    for (const auto& res : r.value()) {
        if (res.error_code == 0) continue;
        if (res.error_code == unknown_topic_or_partition && o.if_exists) continue;
        auto message = res.error_message;
        if (res.error_code == invalid_partitions && (!message || message->empty())) {
            // The broker gave no reason: say what the Metadata we just read shows.
            for (auto* t : topics) {
                if (t->description.name != res.name) continue;
                auto current = static_cast<int32_t>(t->description.partitions.size());
                if (*o.partitions <= current) {
                    message = "The topic " + res.name + " currently has " +
                              std::to_string(current) + " partition(s); " +
                              std::to_string(*o.partitions) + " would not be an increase.";
                }
            }
        }
        rc = fail(err, std::string(error_prefix) + topic_error_text(res.name, res.error_code, message));
    }
    return rc;
}

int run_delete(const topics_options& o, topics_admin& admin, std::ostream& err) {
    auto filter = topic_filter::make(o.topic);
    if (!filter) return fail(err, filter.error().message);
    auto md = admin.all_topics();
    if (!md) return fail(err, md.error().message);
    auto topics = select_topics(md.value(), filter.value(), false);
    if (topics.empty()) return missing_topic(o, err);
    std::vector<std::string> names;
    for (auto* t : topics) {
        if (is_internal(t->description)) {
            return fail(err, std::string(error_prefix) + "Topic " + t->description.name +
                                 " is a kafka internal topic and is not allowed to be marked for "
                                 "deletion.");
        }
        names.push_back(t->description.name);
    }
    auto r = admin.delete_topics(names);
    if (!r) return fail(err, r.error().message);
    int rc = 0;
    for (const auto& res : r.value()) {
        if (res.error_code == 0) continue;
        // Deleted concurrently by someone else: what --if-exists asked for anyway.
        if (res.error_code == unknown_topic_or_partition && o.if_exists) continue;
        rc = fail(err, std::string(error_prefix) +
                           topic_error_text(res.name, res.error_code, res.error_message));
    }
    return rc;
}

}  // namespace

std::string_view kafka_error_description(int16_t code) {
    // Default messages of org.apache.kafka.common.protocol.Errors (Kafka 2.8) for the codes a
    // topic admin command can meet.
    switch (code) {
        case -1: return "The server experienced an unexpected error when processing the request.";
        case 3: return "This server does not host this topic-partition.";
        case 5: return "There is no leader for this topic-partition as we are in the middle of a "
                       "leadership election.";
        case 7: return "The request timed out.";
        case 8: return "The broker is not available.";
        case 17: return "The request attempted to perform an operation on an invalid topic.";
        case 19: return "Messages are rejected since there are fewer in-sync replicas than required.";
        case 29: return "Topic authorization failed.";
        case 31: return "Cluster authorization failed.";
        case 35: return "The version of API is not supported.";
        case 36: return "Topic with this name already exists.";
        case 37: return "Number of partitions is below 1.";
        case 38: return "Replication factor is below 1 or larger than the number of available "
                        "brokers.";
        case 39: return "Replica assignment is invalid.";
        case 40: return "Configuration is invalid.";
        case 41: return "This is not the correct controller for this cluster.";
        case 42: return "This most likely occurs because of a request being malformed by the client "
                        "library or the message was sent to an incompatible broker. See the broker "
                        "logs for more details.";
        case 44: return "Request parameters do not satisfy the configured policy.";
        case 60: return "A partition reassignment is in progress.";
        case 73: return "Topic deletion is disabled.";
        case 89: return "The throttling quota has been exceeded.";
        default: return {};
    }
}

std::string topic_error_text(const std::string& topic, int16_t code,
                             const std::optional<std::string>& message) {
    if (code == topic_already_exists) return "Topic '" + topic + "' already exists.";
    std::string text;
    if (message && !message->empty()) {
        text = *message;
    } else {
        text = std::string(kafka_error_description(code));
        if (text.empty()) text = "Topic '" + topic + "': error code " + std::to_string(code) + ".";
    }
    return text + " (" + std::string(protocol::error_name(protocol::from_wire(code))) + ")";
}

int run_topics_command(const topics_options& options, topics_admin& admin, std::ostream& out,
                       std::ostream& err) {
    switch (options.action) {
        case topics_action::create: return run_create(options, admin, out, err);
        case topics_action::list: return run_list(options, admin, out, err);
        case topics_action::describe: return run_describe(options, admin, out, err);
        case topics_action::alter: return run_alter(options, admin, err);
        case topics_action::remove: return run_delete(options, admin, err);
    }
    return 1;
}

}  // namespace tools
