// The interface of the test library in other_image.cpp.
#ifndef LIFEGUARD_TESTS_OTHER_IMAGE_HPP
#define LIFEGUARD_TESTS_OTHER_IMAGE_HPP

#include <lifeguard/lifeguard.hpp>
#include <lifeguard/testing/fake_driver.hpp>

#define LIFEGUARD_TEST_EXPORT __attribute__((visibility("default")))

namespace other_image {
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver>;
}

extern "C" {
LIFEGUARD_TEST_EXPORT other_image::Pool* other_image_make_pool(lifeguard::testing::FakeServer* server);
LIFEGUARD_TEST_EXPORT void other_image_cycle(other_image::Pool* pool);
LIFEGUARD_TEST_EXPORT void other_image_destroy_pool(other_image::Pool* pool);
}

#endif
