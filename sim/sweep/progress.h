// Progress of a long batch of points on stderr: on a terminal a bar redrawn in place
//   [##########..........] 512/1000 points  17.3/s  ETA 0:28
// elsewhere (a log file, CI) one such line every `line_every_s` seconds and at the end. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <ostream>
#include <string>

namespace kvsim::sweep {

class Progress {
 public:
  enum class Mode { none, bar, lines };
  Progress(std::ostream& os, Mode mode, std::size_t total, std::string label = "points", double line_every_s = 10.0);
  // Call when one item finishes.
  void tick();
  // Draws the final state (and ends the bar's line).
  void finish();
  // Formats the status line for `done` of `total` after `elapsed_s` (for tests and the bar).
  static std::string line(std::size_t done, std::size_t total, double elapsed_s, const std::string& label, int bar_width);
  // bar when stderr is a terminal, else lines.
  static Mode auto_mode();

 private:
  void draw(bool final);
  std::ostream& os_;
  Mode mode_;
  std::size_t total_, done_ = 0;
  std::string label_;
  double line_every_s_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
};

}  // namespace kvsim::sweep
