#include "tools/configs/configs_command.h"

#include "tools/common/error_text.h"

#include <algorithm>
#include <ostream>

namespace tools {

namespace {

constexpr int8_t dynamic_topic = 1, dynamic_broker = 2, dynamic_default_broker = 3;

struct target {
    int8_t type;
    std::string name;   // "" = the brokers' cluster-wide default
    std::string label;  // "topic t", "broker 1", or the default's wording
};

std::string header(const target& t, bool all) {
    if (t.type == broker_resource && t.name.empty()) return "Default configs for brokers in the cluster are:";
    return std::string(all ? "All" : "Dynamic") + " configs for " + t.label + " are:";
}

bool shown(const target& t, const config_item& c, bool all) {
    if (all) return true;
    if (t.type == topic_resource) return c.source == dynamic_topic;
    if (t.name.empty()) return c.source == dynamic_default_broker;
    return c.source == dynamic_broker || c.source == dynamic_default_broker;
}

int fail(const configs_options& o, std::ostream& err, int16_t code, const std::string& message) {
    err << "Error while executing config command with args '" << o.args_text << "'\n";
    auto cls = kafka_exception_class(code);
    err << (cls.empty() ? std::string(kafka_error_text(code)) : std::string(cls)) << ": " << message << '\n';
    return 1;
}

target make_target(const configs_options& o, const std::string& name) {
    if (o.entity == configs_entity::topics) return {topic_resource, name, "topic " + name};
    return {broker_resource, name, "broker " + name};
}

}  // namespace

std::string_view config_source_name(int8_t source) {
    switch (source) {
        case 1: return "DYNAMIC_TOPIC_CONFIG";
        case 2: return "DYNAMIC_BROKER_CONFIG";
        case 3: return "DYNAMIC_DEFAULT_BROKER_CONFIG";
        case 4: return "STATIC_BROKER_CONFIG";
        case 5: return "DEFAULT_CONFIG";
        case 6: return "DYNAMIC_BROKER_LOGGER_CONFIG";
        default: return "UNKNOWN";
    }
}

std::string format_config_line(const config_item& c) {
    std::string line = "  " + c.name + "=" + (c.sensitive || !c.value ? std::string("null") : *c.value) +
                       " sensitive=" + (c.sensitive ? "true" : "false") + " synonyms={";
    for (size_t i = 0; i < c.synonyms.size(); ++i) {
        const auto& s = c.synonyms[i];
        line += (i ? ", " : "") + std::string(config_source_name(s.source)) + ":" + s.name + "=" +
                (c.sensitive || !s.value ? std::string("null") : *s.value);
    }
    return line + "}";
}

int run_configs_command(const configs_options& o, configs_admin& admin, std::ostream& out, std::ostream& err) {
    if (o.describe) {
        std::vector<target> targets;
        if (o.entity_name) {
            targets.push_back(make_target(o, *o.entity_name));
        } else if (o.entity_default) {
            targets.push_back({broker_resource, "", ""});
        } else if (o.entity == configs_entity::topics) {
            auto topics = admin.topics();
            if (!topics) {
                err << topics.error().message << '\n';
                return topics.error().exit_code;
            }
            for (const auto& t : topics.value()) targets.push_back(make_target(o, t));
        } else {
            auto brokers = admin.brokers();
            if (!brokers) {
                err << brokers.error().message << '\n';
                return brokers.error().exit_code;
            }
            for (int32_t id : brokers.value()) targets.push_back(make_target(o, std::to_string(id)));
            targets.push_back({broker_resource, "", ""});
        }
        for (const auto& t : targets) {
            auto got = admin.describe(t.type, t.name);
            if (!got) {
                err << got.error().message << '\n';
                return got.error().exit_code;
            }
            if (got.value().error_code != 0) return fail(o, err, got.value().error_code, got.value().error_message);
            out << header(t, o.all) << '\n';
            auto configs = got.value().configs;
            std::sort(configs.begin(), configs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
            for (const auto& c : configs) {
                if (shown(t, c, o.all)) out << format_config_line(c) << '\n';
            }
        }
        return 0;
    }

    const target t = o.entity_default ? target{broker_resource, "", ""} : make_target(o, *o.entity_name);
    // Kafka checks the names to delete against the configs the entity has.
    if (!o.remove.empty() && t.type == topic_resource) {
        auto got = admin.describe(t.type, t.name);
        if (!got) {
            err << got.error().message << '\n';
            return got.error().exit_code;
        }
        if (got.value().error_code != 0) return fail(o, err, got.value().error_code, got.value().error_message);
        std::string invalid;
        for (const auto& r : o.remove) {
            const bool known = std::any_of(got.value().configs.begin(), got.value().configs.end(),
                                           [&](const config_item& c) { return c.name == r; });
            if (!known) invalid += (invalid.empty() ? "" : ",") + r;
        }
        if (!invalid.empty()) return fail(o, err, 40, "Invalid config(s): " + invalid);
    }
    std::vector<config_change> changes;
    for (const auto& a : o.add) changes.push_back({a.name, 0, a.value});
    for (const auto& r : o.remove) changes.push_back({r, 1, std::nullopt});
    auto done = admin.alter(t.type, t.name, changes);
    if (!done) {
        err << done.error().message << '\n';
        return done.error().exit_code;
    }
    if (done.value().error_code != 0) return fail(o, err, done.value().error_code, done.value().error_message);
    if (t.type == broker_resource && t.name.empty()) {
        out << "Completed updating default config for brokers in the cluster.\n";
    } else {
        out << "Completed updating config for " << t.label << ".\n";
    }
    return 0;
}

}  // namespace tools
