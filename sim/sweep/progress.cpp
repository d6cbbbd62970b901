// See progress.h.
#include "sim/sweep/progress.h"

#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace kvsim::sweep {
namespace {

std::string clock(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

}  // namespace

Progress::Progress(std::ostream& os, Mode mode, std::size_t total, std::string label, double line_every_s)
    : os_(os), mode_(mode), total_(total), label_(std::move(label)), line_every_s_(line_every_s),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::Mode Progress::auto_mode() { return ::isatty(STDERR_FILENO) ? Mode::bar : Mode::lines; }

std::string Progress::line(std::size_t done, std::size_t total, double elapsed_s, const std::string& label, int bar_width) {
  std::string s;
  if (bar_width > 0) {
    const int filled = total ? static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * bar_width) : bar_width;
    s = "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(bar_width - filled), '.') + "] ";
  }
  const double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0.0;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%zu/%zu %s  %.1f/s  %s %s", done, total, label.c_str(), rate,
                done >= total ? "elapsed" : "ETA",
                clock(done >= total ? elapsed_s : rate > 0 ? static_cast<double>(total - done) / rate : NAN).c_str());
  return s + buf;
}

void Progress::tick() {
  std::lock_guard lock(mutex_);
  ++done_;
  draw(false);
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (total_ > 0) draw(true);
}

void Progress::draw(bool final) {
  if (mode_ == Mode::none) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (mode_ == Mode::bar) {
    if (!final && since < 0.1) return;
    os_ << "\r" << line(done_, total_, elapsed, label_, 30) << "   " << (final ? "\n" : "") << std::flush;
  } else {
    if (!final && since < line_every_s_) return;
    os_ << line(done_, total_, elapsed, label_, 0) << "\n" << std::flush;
  }
  last_draw_ = now;
}

}  // namespace kvsim::sweep
