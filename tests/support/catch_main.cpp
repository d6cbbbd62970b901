// main() for the CPU test programs (Catch2 2.x; with 3.x Catch2WithMain provides it).
#if !defined(KVSIM_CATCH3)
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#endif
