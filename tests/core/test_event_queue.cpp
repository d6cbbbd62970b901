// EventQueue: pops by time, then by kind order, then by insertion order.
#include "tests/support/catch.h"

#include <string>

#include "sim/core/event_queue.h"

namespace {
enum class Kind { arrival = 0, step_end = 1 };
}

TEST_CASE("events pop in time order") {
  kvsim::EventQueue<Kind, int> q;
  q.push(3.0, Kind::arrival, 3);
  q.push(1.0, Kind::arrival, 1);
  q.push(2.0, Kind::step_end, 2);
  REQUIRE(q.size() == 3);
  CHECK(q.pop().payload == 1);
  CHECK(q.pop().payload == 2);
  CHECK(q.pop().payload == 3);
  CHECK(q.empty());
}

TEST_CASE("equal times break by kind, then by insertion order") {
  kvsim::EventQueue<Kind, std::string> q;
  q.push(5.0, Kind::step_end, "step-a");
  q.push(5.0, Kind::arrival, "arrival-a");
  q.push(5.0, Kind::step_end, "step-b");
  q.push(5.0, Kind::arrival, "arrival-b");
  q.push(4.0, Kind::step_end, "early");
  CHECK(q.pop().payload == "early");
  CHECK(q.pop().payload == "arrival-a");
  CHECK(q.pop().payload == "arrival-b");
  CHECK(q.pop().payload == "step-a");
  CHECK(q.pop().payload == "step-b");
}

TEST_CASE("many ties keep insertion order exactly") {
  kvsim::EventQueue<Kind, int> q;
  for (int i = 0; i < 1000; ++i) q.push(1.0, Kind::arrival, i);
  for (int i = 0; i < 1000; ++i) REQUIRE(q.pop().payload == i);
}
