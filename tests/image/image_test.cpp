// Pools made in two program images (this program and a -fvisibility=hidden shared library)
// used from one thread. Each image has its own thread-local hints and counters, so a pool
// identity that is only unique per image (the serial numbers of old) let b.acquire() claim
// the connection of pool a (another server). The first pool of each image is made here,
// in a fresh process, so both images would have handed out serial 1.
#include "other_image.hpp"

#include <boost/test/unit_test.hpp>

using lifeguard::testing::FakeConnection;
using lifeguard::testing::FakeDriver;
using lifeguard::testing::FakeServer;

BOOST_AUTO_TEST_CASE(a_pool_never_hands_out_a_connection_of_a_pool_from_another_image) {
    FakeServer server_a, server_b;
    other_image::Pool* a = other_image_make_pool(&server_a);  // the library's first pool
    lifeguard::PoolOptions o;
    o.max_size = 2;
    other_image::Pool b(FakeDriver(server_b), o);  // this program's first pool
    FakeConnection* of_a = nullptr;
    {
        auto lease = a->acquire();  // this program's code: its hint now names a's connection
        of_a = lease.get();
    }
    other_image_cycle(a);  // and the library's code, for good measure
    {
        auto lease = b.acquire();
        BOOST_TEST(lease.get() != of_a);
        BOOST_TEST(server_a.connects == 1u);
        BOOST_TEST(server_b.connects == 1u);
        BOOST_TEST(server_b.query(lease.get()));
    }
    // And the other way round: a's own connection comes back to a.
    BOOST_TEST(a->acquire().get() == of_a);
    BOOST_TEST(b.stats().idle == 1u);
    other_image_destroy_pool(a);
    BOOST_TEST(server_a.closes == 1u);
}
