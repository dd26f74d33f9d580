// A shared library built with -fvisibility=hidden, as plugins and many distributions build
// them: it has its own copy of every inline variable of lifeguard's headers (thread-local
// hints, counters). image_test.cpp uses its pools from the program's own code.
#include "other_image.hpp"

extern "C" {

LIFEGUARD_TEST_EXPORT other_image::Pool* other_image_make_pool(lifeguard::testing::FakeServer* server) {
    lifeguard::PoolOptions o;
    o.max_size = 2;
    return new other_image::Pool(lifeguard::testing::FakeDriver(*server), o);
}

LIFEGUARD_TEST_EXPORT void other_image_cycle(other_image::Pool* pool) { (void)pool->acquire(); }

LIFEGUARD_TEST_EXPORT void other_image_destroy_pool(other_image::Pool* pool) { delete pool; }
}
