// InputError: the one exception type for bad user input (scenario, profile, data files).
// Its message is a single line "FILE: POINTER: expected EXPECTED, found FOUND"; the CLI prints it and
// exits with status 2. Everything that reads a user file throws this and nothing else for bad input.
#pragma once

#include <stdexcept>
#include <string>

namespace kvsim {

class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string pointer, std::string expected, std::string found)
      : std::runtime_error(file + ": " + (pointer.empty() ? std::string("/") : pointer) + ": expected " +
                           expected + ", found " + found),
        file_(std::move(file)), pointer_(std::move(pointer)), expected_(std::move(expected)),
        found_(std::move(found)) {}

  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }
  const std::string& expected() const { return expected_; }
  const std::string& found() const { return found_; }

 private:
  std::string file_, pointer_, expected_, found_;
};

}  // namespace kvsim
