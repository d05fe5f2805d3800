#pragma once

#include <cstdio>
#include <cstdlib>

/// Always-on invariant check (release builds too): a broken invariant in storage risks data
/// loss, so log where and abort rather than carry on.
#define BROOK_STORAGE_ASSERT(cond, msg)                                                       \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            std::fprintf(stderr, "%s:%d: storage invariant failed: %s: %s\n", __FILE__, __LINE__, \
                         #cond, msg);                                                         \
            std::abort();                                                                     \
        }                                                                                     \
    } while (0)
