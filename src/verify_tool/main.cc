// lvyuan-verify: checks an evidence bundle exported by `lvyuan record export`
// without any database or network access. Exit codes: 0 verified, 3 a check
// failed, 1 bad invocation or unreadable input.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "verify_tool/report.h"

int main(int argc, char** argv) {
  CLI::App cli{"lvyuan-verify — 离线核验电子证据包 (verify an lvyuan evidence bundle offline)"};
  std::string bundle;
  std::string public_key;
  cli.add_option("BUNDLE", bundle, "the evidence bundle (.tar)")->required();
  cli.add_option("--public-key", public_key,
                 "the deployment's published public key (PEM) to trust");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? lvyuan::verify_tool::kVerified : lvyuan::verify_tool::kCannotRun;
  }
  return lvyuan::verify_tool::RunVerify(bundle, public_key, std::cout, std::cerr);
}
