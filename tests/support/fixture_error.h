#pragma once

#include <stdexcept>
#include <string>

namespace test_support {

/// Thrown by fixtures that cannot do their job (ZooKeeper does not start, a broker dies while
/// starting, a znode query fails). GoogleTest turns an exception escaping a test body or
/// SetUpTestSuite into a failure with this message, so the test stops and says why; a fixture
/// never skips. Test-only code: library APIs under test never throw.
class fixture_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace test_support
