// The admin's side of content releases on the real hub: the admin console (its own login, refused
// to mediators) and the real sportello-admin's publish, status and revert.
#include "release_util.h"

#include <catch2/catch.hpp>
#include <sodium.h>

using harness::Hub;
using namespace relt;
