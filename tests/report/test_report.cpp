// kvsim report: the data gathered from run, sweep and plan folders, the CDFs, and the page's
// self-containedness. (That the page draws without a script error: browser_test.sh, in Chromium.)
#include "tests/support/catch.h"

#include <regex>

#include "sim/core/input_error.h"
#include "sim/report/report_data.h"
#include "sim/report/report_html.h"
#include "tests/support/temp_dir.h"
#include "tests/sweep/sweep_test_util.h"

using namespace kvsim;
using kvsim::testing::read_file;
using kvsim::testing::run_kvsim;
using kvsim::testing::TempDir;

TEST_CASE("cdf_points is an increasing CDF ending at 1 with at most the asked points") {
  std::vector<double> v;
  for (int i = 1000; i > 0; --i) v.push_back(i * 0.01);
  const nlohmann::json c = report::cdf_points(v, 50);
  REQUIRE(c.size() == 50);
  CHECK(c[0][0] == Approx(0.01));
  CHECK(c[49][0] == Approx(10.0));
  CHECK(c[49][1] == Approx(1.0));
  for (std::size_t i = 1; i < c.size(); ++i) {
    CHECK(c[i][0] >= c[i - 1][0]);
    CHECK(c[i][1] > c[i - 1][1]);
  }
  CHECK(report::cdf_points({}).empty());
}

TEST_CASE("request latencies come from requests.csv; rejected and unfinished requests are left out") {
  const std::string csv =
      "id,arrival_s,admitted_s,first_token_s,finish_s,prompt_tokens,output_tokens,rejected_reason\n"
      "0,0,0,0.5,2.5,100,5,\n"
      "1,1,1,1.25,1.25,100,1,\n"
      "2,1,,,,100,5,\"too long, never fits\"\n";
  const nlohmann::json c = report::request_latencies_cdf(csv);
  REQUIRE(c["ttft_s"].size() == 2);
  CHECK(c["ttft_s"][0][0] == Approx(0.25));
  CHECK(c["ttft_s"][1][0] == Approx(0.5));
  REQUIRE(c["tpot_s"].size() == 1);  // one request had a single output token
  CHECK(c["tpot_s"][0][0] == Approx(0.5));
  CHECK(c["e2e_s"][1][0] == Approx(2.5));
}

TEST_CASE("report of a run with variants: every variant, with its heat map and placement") {
  TempDir dir;
  nlohmann::json s = testing::tiny_base();
  s["variants"] = {{{"name", "tp"}, {"set", {{"/placement", {{"kind", "tensor_parallel"}}}}}},
                   {{"name", "fc"}, {"set", {{"/placement", {{"kind", "fair_copying"}}}}}}};
  const std::string file = dir.write("s.json", s.dump());
  const auto out = dir.path() / "run";
  REQUIRE(run_kvsim("run " + file + " --quiet --out " + out.string()).status == 0);
  const nlohmann::json d = report::gather_report_data(out);
  REQUIRE(d["runs"].size() == 2);
  CHECK(d["runs"][1]["name"] == "fc");
  CHECK(d["runs"][0]["gpus"].size() == 2);
  // attention_s_per_layer_gpu: 32 layers x 2 GPUs.
  REQUIRE(d["runs"][0]["attention"].size() == 32);
  CHECK(d["runs"][0]["attention"][0].size() == 2);
  CHECK(d["runs"][1]["placement"]["cells"].size() == 32);
  CHECK(d["runs"][0]["cdf"]["ttft_s"].size() == 12);
  CHECK(d["sweep"].is_null());

  const auto o = run_kvsim("report " + out.string());
  REQUIRE(o.status == 0);
  const std::string html = read_file(out / "report.html");
  CHECK(html.find("<div id=\"status\">rendering</div>") != std::string::npos);
  CHECK(html.find("id=\"kvsim-data\"") != std::string::npos);
  CHECK(html.find("Attention load per layer and GPU") != std::string::npos);  // in the script
  // Self-contained: the only URL in the page is the SVG namespace, and the policy forbids fetches.
  std::regex url("https?://[^'\" )]+");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), url); it != std::sregex_iterator(); ++it)
    CHECK(it->str() == "http://www.w3.org/2000/svg");
  CHECK(html.find("default-src 'none'") != std::string::npos);
}

TEST_CASE("report of a sweep folder reads its points; an empty folder is an input error") {
  TempDir dir;
  const std::string sweep = dir.write("sweep.json", testing::tiny_sweep().dump());
  const auto out = dir.path() / "sweep";
  REQUIRE(run_kvsim("sweep " + sweep + " --out " + out.string() + " --quiet").status == 0);
  const nlohmann::json d = report::gather_report_data(out);
  REQUIRE(d["sweep"].is_object());
  CHECK(d["sweep"]["rows"].size() == 6);
  CHECK(d["sweep"]["axis_pointers"][0] == "/kv_policy/budget");
  CHECK(d["sweep"]["rows"][0]["metrics"]["completed"] == 12);
  CHECK(d["runs"].empty());

  std::filesystem::create_directories(dir.path() / "empty");
  CHECK_THROWS_AS(report::gather_report_data(dir.path() / "empty"), InputError);
  const auto o = run_kvsim("report " + (dir.path() / "empty").string());
  CHECK(o.status == 2);
  CHECK(o.output.find("expected a folder of kvsim results") != std::string::npos);
}

TEST_CASE("embedded data cannot end the script element early") {
  const std::string html = report::make_report_html({{"title", "x</script><b>"}, {"runs", nlohmann::json::array()}});
  const auto data_start = html.find("id=\"kvsim-data\">");
  REQUIRE(data_start != std::string::npos);
  const auto data_end = html.find("</script>", data_start);
  CHECK(html.substr(data_start, data_end - data_start).find("x<\\/script><b>") != std::string::npos);
  CHECK(html.find("<title>kvsim report: x&lt;/script&gt;&lt;b&gt;</title>") != std::string::npos);
}
