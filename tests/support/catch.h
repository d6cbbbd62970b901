// Includes Catch2 whichever major version is installed: Debian 12 ships 2.13 (one header),
// the GPU machine ships 3.x (split headers). Tests include this file, never Catch2 directly.
#pragma once
#if defined(KVSIM_CATCH3)
#include <catch2/catch_approx.hpp>
#include <catch2/catch_session.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_floating_point.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif
