#define BOOST_TEST_MODULE lifeguard
#include <boost/test/unit_test.hpp>
