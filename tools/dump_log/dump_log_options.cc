#include "tools/dump_log/dump_log_options.h"

#include "tools/common/args.h"

#include <boost/program_options.hpp>

#include <sstream>

namespace tools {

namespace po = boost::program_options;

namespace {

po::options_description make_description() {
    po::options_description d(
        "brook-dump-log: print segments (.log), indexes (.index, .timeindex), producer snapshots\n"
        "(.snapshot) and checkpoint files of a log dir, in the format of Kafka's kafka-dump-log.sh.\n"
        "Usage: brook-dump-log [options] --files F1,F2... | FILE...\n"
        "Options");
    // clang-format off
    d.add_options()
        ("files", po::value<std::vector<std::string>>()->value_name("F1,F2"),
         "Comma-separated list of files to dump (FILE arguments are accepted too).")
        ("print-data-log", "Print each record's key and payload (implies --deep-iteration).")
        ("deep-iteration", "Print every record of each batch, not only the batch line.")
        ("index-sanity-check", "Only check that index files are well formed (as a broker's open does).")
        ("verify-index-only", "Check index entries against the log, print only mismatches.")
        ("max-bytes", po::value<std::string>()->value_name("N"),
         "Read at most N bytes of each .log (whole batches only; default 2147483647).")
        ("max-message-size", po::value<std::string>()->value_name("N"),
         "Accepted for compatibility (Kafka's batch size limit for index checks); ignored.")
        ("help", "Print usage information.");
    // clang-format on
    return d;
}

}  // namespace

std::string dump_log_usage() {
    std::ostringstream out;
    out << make_description();
    return out.str();
}

cli_result<dump_log_command_line> parse_dump_log_args(std::span<const char* const> args) {
    auto description = make_description();
    po::options_description all;
    all.add(description);
    all.add_options()("file", po::value<std::vector<std::string>>(), "");
    po::positional_options_description positional;
    positional.add("file", -1);

    po::variables_map vm;
    try {
        po::store(po::command_line_parser(static_cast<int>(args.size()), args.data())
                      .options(all)
                      .positional(positional)
                      .run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        return make_cli_error(std::string("Error: ") + e.what());
    }

    dump_log_command_line cl;
    if (vm.count("help")) {
        cl.help = true;
        return cl;
    }
    auto& o = cl.options;
    if (vm.count("files")) {
        for (const auto& list : vm["files"].as<std::vector<std::string>>()) {
            std::string item;
            std::istringstream in(list);
            while (std::getline(in, item, ',')) {
                if (!item.empty()) o.files.push_back(item);
            }
        }
    }
    if (vm.count("file")) {
        for (const auto& f : vm["file"].as<std::vector<std::string>>()) o.files.push_back(f);
    }
    if (o.files.empty()) return make_cli_error("Error: Missing required argument \"[files]\"");
    o.print_data_log = vm.count("print-data-log") > 0;
    o.deep_iteration = vm.count("deep-iteration") > 0 || o.print_data_log;
    o.index_sanity_check = vm.count("index-sanity-check") > 0;
    o.verify_index_only = vm.count("verify-index-only") > 0;
    if (vm.count("max-bytes")) {
        auto n = parse_positive_int(vm["max-bytes"].as<std::string>(), "--max-bytes", INT32_MAX);
        if (!n) return n.error();
        o.max_bytes = n.value();
    }
    if (vm.count("max-message-size")) {
        auto n = parse_positive_int(vm["max-message-size"].as<std::string>(), "--max-message-size",
                                    INT32_MAX);
        if (!n) return n.error();
    }
    return cl;
}

}  // namespace tools
