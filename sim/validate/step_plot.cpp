// See step_plot.h. Plain SVG 1.1, no scripts: two panels sharing the x axis (step index).
#include "sim/validate/step_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace kvsim {
namespace {

constexpr double kWidth = 900, kLeft = 70, kRight = 20, kTop = 40, kTimeHeight = 300, kGap = 50, kErrHeight = 160;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

std::string text(double x, double y, const std::string& s, const char* anchor = "start", int size = 12) {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + std::to_string(size) + "\" text-anchor=\"" +
         anchor + "\">" + escape(s) + "</text>\n";
}

std::string line(double x1, double y1, double x2, double y2, const char* stroke, const char* extra = "") {
  return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) +
         "\" stroke=\"" + stroke + "\" " + extra + "/>\n";
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.0f%%", 100 * fraction);
  return buf;
}

std::string label_ms(double seconds) {
  char buf[32];
  const double ms = seconds * 1e3;
  std::snprintf(buf, sizeof buf, ms >= 10 ? "%.0f ms" : ms >= 1 ? "%.1f ms" : "%.2f ms", ms);
  return buf;
}

}  // namespace

std::string step_plot_svg(const std::string& title, const std::vector<StepPair>& pairs) {
  const double height = kTop + kTimeHeight + kGap + kErrHeight + 40;
  const double plot_w = kWidth - kLeft - kRight;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" + num(height) +
                    "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += text(kLeft, 22, title, "start", 15);
  if (pairs.empty()) return svg + text(kLeft, kTop + 40, "no steps were measured") + "</svg>\n";

  double lo = INFINITY, hi = 0, err_max = 0.1;
  for (const StepPair& p : pairs) {
    for (double v : {p.measured_s, p.predicted_s})
      if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
    err_max = std::max(err_max, std::fabs(p.relative_error()));
  }
  err_max = std::min(err_max, 1.0);
  if (!(hi > 0)) lo = 1e-6, hi = 1e-3;
  const double log_lo = std::floor(std::log10(lo)), log_hi = std::max(std::ceil(std::log10(hi)), log_lo + 1);
  const double n = static_cast<double>(pairs.size());
  auto X = [&](double i) { return kLeft + plot_w * (n > 1 ? i / (n - 1) : 0.5); };
  auto Y = [&](double s) {
    const double f = (std::log10(std::max(s, std::pow(10.0, log_lo))) - log_lo) / (log_hi - log_lo);
    return kTop + kTimeHeight * (1 - f);
  };
  const double err_top = kTop + kTimeHeight + kGap, err_mid = err_top + kErrHeight / 2;
  auto E = [&](double e) { return err_mid - (kErrHeight / 2) * std::clamp(e, -err_max, err_max) / err_max; };

  // Time panel: decades, measured points, predicted points.
  for (double d = log_lo; d <= log_hi + 1e-9; d += 1) {
    const double y = Y(std::pow(10.0, d));
    svg += line(kLeft, y, kLeft + plot_w, y, "#ddd");
    svg += text(kLeft - 6, y + 4, label_ms(std::pow(10.0, d)), "end", 11);
  }
  svg += line(kLeft, kTop, kLeft, kTop + kTimeHeight, "#444");
  for (std::size_t i = 0; i < pairs.size(); ++i)
    svg += "<circle cx=\"" + num(X(static_cast<double>(i))) + "\" cy=\"" + num(Y(pairs[i].measured_s)) +
           "\" r=\"2.2\" fill=\"#1f77b4\"/>\n";
  std::string path;
  for (std::size_t i = 0; i < pairs.size(); ++i)
    path += (i ? " L" : "M") + num(X(static_cast<double>(i))) + " " + num(Y(pairs[i].predicted_s));
  svg += "<path d=\"" + path + "\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.2\"/>\n";
  svg += "<circle cx=\"" + num(kWidth - 250) + "\" cy=\"" + num(kTop - 4) + "\" r=\"3\" fill=\"#1f77b4\"/>" +
         text(kWidth - 242, kTop, "measured");
  svg += line(kWidth - 160, kTop - 4, kWidth - 140, kTop - 4, "#d62728", "stroke-width=\"1.5\"") +
         text(kWidth - 135, kTop, "predicted (calibrated)");

  // Error panel: (predicted - measured) / measured per step, clamped to +-err_max.
  svg += line(kLeft, err_mid, kLeft + plot_w, err_mid, "#888");
  for (double f : {-1.0, -0.5, 0.5, 1.0}) {
    const double y = E(f * err_max);
    svg += line(kLeft, y, kLeft + plot_w, y, "#eee");
    svg += text(kLeft - 6, y + 4, percent(f * err_max), "end", 11);
  }
  svg += text(kLeft - 6, err_mid + 4, "0%", "end", 11);
  svg += line(kLeft, err_top, kLeft, err_top + kErrHeight, "#444");
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const char* color = pairs[i].prefill_tokens == 0 ? "#2ca02c" : "#ff7f0e";
    svg += "<circle cx=\"" + num(X(static_cast<double>(i))) + "\" cy=\"" + num(E(pairs[i].relative_error())) +
           "\" r=\"2\" fill=\"" + color + "\"/>\n";
  }
  svg += text(kLeft, err_top - 8, "(predicted - measured) / measured; green: decode-only steps, orange: steps with prefill");
  svg += text(kLeft + plot_w / 2, err_top + kErrHeight + 30, "step", "middle");
  svg += text(kLeft + plot_w, err_top + kErrHeight + 16, std::to_string(pairs.size() - 1), "end", 11);
  svg += text(kLeft, err_top + kErrHeight + 16, "0", "start", 11);
  return svg + "</svg>\n";
}

}  // namespace kvsim
