// EventQueue: the simulator's pending events, a binary heap ordered by (time, kind, seq).
// Equal times are broken first by the event kind's declared order, then by insertion order (seq), so
// a run never depends on the heap's internal layout: the same inputs pop in the same order.
#pragma once

#include <cstdint>
#include <queue>
#include <vector>

namespace kvsim {

template <typename Kind, typename Payload>
class EventQueue {
 public:
  struct Event {
    double time_s;
    Kind kind;
    std::uint64_t seq;
    Payload payload;
  };

  void push(double time_s, Kind kind, Payload payload) {
    heap_.push(Event{time_s, kind, next_seq_++, std::move(payload)});
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.top(); }
  Event pop() {
    Event e = heap_.top();
    heap_.pop();
    return e;
  }

 private:
  struct Later {  // std::priority_queue is a max-heap: "less" means "pops later"
    bool operator()(const Event& a, const Event& b) const {
      if (a.time_s != b.time_s) return a.time_s > b.time_s;
      if (a.kind != b.kind) return a.kind > b.kind;
      return a.seq > b.seq;
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace kvsim
