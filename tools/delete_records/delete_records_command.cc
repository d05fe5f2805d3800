#include "tools/delete_records/delete_records_command.h"

#include "tools/common/error_text.h"

#include <nlohmann/json.hpp>

#include <sstream>

namespace tools {

namespace po = boost::program_options;
using json = nlohmann::json;

cli_result<std::map<delete_records_partition, int64_t>> parse_offset_json(std::string_view text) {
    json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) return make_cli_error("Error: The input string is not a valid JSON");
    int64_t version = 1;  // Kafka's EARLIEST_VERSION when the field is absent
    if (auto v = doc.find("version"); v != doc.end()) {
        if (!v->is_number_integer()) return make_cli_error("Error: version must be an integer");
        version = v->get<int64_t>();
    }
    if (version != 1) return make_cli_error("Error: Not supported version field value " + std::to_string(version));
    auto parts = doc.find("partitions");
    if (parts == doc.end()) return make_cli_error("Error: Missing partitions field");
    if (!parts->is_array()) return make_cli_error("Error: partitions must be an array");
    std::map<delete_records_partition, int64_t> out;
    std::vector<std::string> duplicates;
    for (const auto& p : *parts) {
        if (!p.is_object()) return make_cli_error("Error: every entry of partitions must be an object");
        auto topic = p.find("topic");
        auto partition = p.find("partition");
        auto offset = p.find("offset");
        if (topic == p.end() || !topic->is_string()) return make_cli_error("Error: No such field exists: topic");
        if (partition == p.end() || !partition->is_number_integer() || partition->get<int64_t>() < 0 ||
            partition->get<int64_t>() > INT32_MAX) {
            return make_cli_error("Error: partition must be an integer >= 0 for topic " + topic->get<std::string>());
        }
        if (offset == p.end() || !offset->is_number_integer()) {
            return make_cli_error("Error: offset must be an integer for " + topic->get<std::string>() + "-" +
                                  std::to_string(partition->get<int64_t>()));
        }
        delete_records_partition key{topic->get<std::string>(), static_cast<int32_t>(partition->get<int64_t>())};
        if (!out.emplace(key, offset->get<int64_t>()).second) {
            duplicates.push_back(key.first + "-" + std::to_string(key.second));
        }
    }
    if (!duplicates.empty()) {
        std::string list;
        for (const auto& d : duplicates) list += (list.empty() ? "" : ",") + d;
        return make_cli_error("Error: Offset json file contains duplicate topic partitions: " + list);
    }
    return out;
}

std::string format_delete_records_result(const std::map<delete_records_partition, delete_records_outcome>& results) {
    std::ostringstream out;
    out << "Executing records delete operation\n";
    out << "Records delete operation completed:\n";
    for (const auto& [tp, r] : results) {
        out << "partition: " << tp.first << "-" << tp.second << "\t";
        if (r.error_code == 0) {
            out << "low_watermark: " << r.low_watermark << "\n";
            continue;
        }
        // What the Java admin client's ExecutionException says: "<exception class>: <message>".
        auto cls = kafka_exception_class(r.error_code);
        out << "error: ";
        if (!cls.empty()) out << cls << ": ";
        auto message = kafka_error_message(r.error_code);
        out << (message.empty() ? kafka_error_text(r.error_code) : std::string(message)) << "\n";
    }
    return out.str();
}

namespace {
po::options_description make_description() {
    po::options_description d(
        "This tool helps to delete records of the given partitions down to the specified offset.\n"
        "Usage: brook-delete-records --bootstrap-server H:P --offset-json-file FILE\n\nOptions");
    // clang-format off
    d.add_options()
        ("bootstrap-server", po::value<std::string>()->value_name("H:P[,H:P]"),
         "REQUIRED: The server to connect to.")
        ("offset-json-file", po::value<std::string>()->value_name("FILE"),
         "REQUIRED: The JSON file with offset per partition. The format to use is:\n"
         "{\"partitions\":\n  [{\"topic\": \"foo\", \"partition\": 1, \"offset\": 1}],\n \"version\":1\n}")
        ("help", "Print usage information.");
    // clang-format on
    return d;
}
}  // namespace

std::string delete_records_usage() {
    std::ostringstream out;
    out << make_description();
    return out.str();
}

cli_result<delete_records_command_line> parse_delete_records_args(std::span<const char* const> args) {
    auto parsed = parse_command_line(args, make_description());
    if (!parsed) return parsed.error();
    const auto& vm = parsed.value();
    delete_records_command_line cl;
    if (vm.count("help")) {
        cl.help = true;
        return cl;
    }
    if (!vm.count("bootstrap-server")) return make_cli_error("Error: Missing required argument \"[bootstrap-server]\"");
    if (!vm.count("offset-json-file")) return make_cli_error("Error: Missing required argument \"[offset-json-file]\"");
    auto servers = parse_bootstrap_servers(vm["bootstrap-server"].as<std::string>());
    if (!servers) return servers.error();
    cl.bootstrap = std::move(servers).value();
    cl.offset_json_file = vm["offset-json-file"].as<std::string>();
    return cl;
}

}  // namespace tools
