// brook-server: one Brook broker. Parses the command line and configuration, then hands over to
// the application (the composition root).
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "broker/application.h"
#include "broker/config.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
    po::options_description opts("Usage: brook-server --config server.properties [--override key=value]...\nOptions");
    opts.add_options()("help,h", "show this help")("config,c", po::value<std::string>(),
                                                     "server.properties file (Kafka's key names)")(
        "override", po::value<std::vector<std::string>>()->composing(),
        "key=value that replaces the file's value; repeatable");
    po::positional_options_description positional;
    positional.add("config", 1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).run(), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "brook-server: " << e.what() << "\n" << opts << "\n";
        return 1;
    }
    if (vm.count("help")) {
        std::cout << opts << "\n";
        return 0;
    }
    if (!vm.count("config")) {
        std::cerr << "brook-server: --config is required\n" << opts << "\n";
        return 1;
    }
    const auto path = vm["config"].as<std::string>();
    std::ifstream file(path);
    if (!file) {
        std::cerr << "brook-server: cannot read config file " << path << "\n";
        return 1;
    }
    std::stringstream text;
    text << file.rdbuf();
    auto props = broker::parse_properties(text.str());
    if (!props) {
        std::cerr << "brook-server: cannot parse " << path << "\n";
        return 1;
    }
    if (vm.count("override")) {
        for (const auto& kv : vm["override"].as<std::vector<std::string>>()) {
            auto eq = kv.find('=');
            if (eq == std::string::npos || eq == 0) {
                std::cerr << "brook-server: --override expects key=value, got '" << kv << "'\n";
                return 1;
            }
            props.value()[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
    }
    auto made = broker::make_config(props.value());
    if (auto* err = std::get_if<broker::config_error>(&made)) {
        std::cerr << "brook-server: " << err->message << "\n";
        return 1;
    }
    spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] %^%l%$ %v");
    broker::application app(std::get<broker::config>(std::move(made)));
    return app.run();
}
